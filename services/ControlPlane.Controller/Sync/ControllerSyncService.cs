using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>The CP end of the controllers' stream: register, full snapshot, then deltas; health reports recorded.</summary>
public sealed class ControllerSyncService(
    DataPlaneRegistry registry,
    ControlPlaneSyncSource source,
    IOptions<SyncOptions> options,
    ILogger<ControllerSyncService> logger) : ControllerSync.ControllerSyncBase
{
    public override async Task Connect(
        IAsyncStreamReader<DataPlaneMessage> requestStream,
        IServerStreamWriter<ControlPlaneMessage> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.BodyCase != DataPlaneMessage.BodyOneofCase.Register)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message on the stream must be Register."));

        var dataPlaneId = await registry.RegisterAsync(requestStream.Current.Register, cancellationToken);
        logger.LogInformation("Data plane {DataPlaneId} connected", dataPlaneId);
        await responseStream.WriteAsync(new ControlPlaneMessage { Registered = new Registered { DataPlaneId = dataPlaneId } }, cancellationToken);

        var healthReader = RecordHealthAsync(dataPlaneId, requestStream, cancellationToken);
        try
        {
            var (snapshot, next) = await source.ReadAsync(null, cancellationToken);
            await responseStream.WriteAsync(new ControlPlaneMessage { Sync = snapshot }, cancellationToken);

            using var timer = new PeriodicTimer(options.Value.Interval);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                (var delta, next) = await source.ReadAsync(next, cancellationToken);
                if (delta.Projects.Count > 0 || delta.ApiKeys.Count > 0)
                {
                    await responseStream.WriteAsync(new ControlPlaneMessage { Sync = delta }, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Data plane {DataPlaneId} disconnected", dataPlaneId);
        }
        await healthReader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RecordHealthAsync(string dataPlaneId, IAsyncStreamReader<DataPlaneMessage> requests, CancellationToken cancellationToken)
    {
        while (await requests.MoveNext(cancellationToken))
        {
            if (requests.Current.BodyCase == DataPlaneMessage.BodyOneofCase.Health)
            {
                await registry.RecordHealthAsync(dataPlaneId, requests.Current.Health, cancellationToken);
            }
        }
    }
}

/// <summary>How often the CP looks for changes to push (configuration section <c>Controller:Sync</c>).</summary>
public sealed class SyncOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);
}
