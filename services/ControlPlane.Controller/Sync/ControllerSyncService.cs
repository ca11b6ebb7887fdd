using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// The CP end of the controllers' stream: register, full snapshot, then deltas; health, key-use and alert reports recorded
/// (an alert report is acknowledged once it is in cpdb, so the DP marks it reported only then).
/// </summary>
public sealed class ControllerSyncService(
    DataPlaneRegistry registry,
    ControlPlaneSyncSource source,
    KeyUsageSink keyUsage,
    AlertReportSink alertReports,
    IOptions<SyncOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ControllerSyncService> logger) : ControllerSync.ControllerSyncBase
{
    public override async Task Connect(
        IAsyncStreamReader<DataPlaneMessage> requestStream,
        IServerStreamWriter<ControlPlaneMessage> responseStream,
        ServerCallContext context)
    {
        // The stream lives as long as the DP is connected; end it when we shut down, or Kestrel's
        // graceful stop would wait for it until its timeout.
        using var streamLifetime = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = streamLifetime.Token;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.BodyCase != DataPlaneMessage.BodyOneofCase.Register)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message on the stream must be Register."));

        var dataPlaneId = await registry.RegisterAsync(requestStream.Current.Register, cancellationToken);
        logger.LogInformation("Data plane {DataPlaneId} connected", dataPlaneId);
        await responseStream.WriteAsync(new ControlPlaneMessage { Registered = new Registered { DataPlaneId = dataPlaneId } }, cancellationToken);

        // gRPC allows one pending write per stream: sync batches and acks (written by the report reader) take turns.
        using var writeTurn = new SemaphoreSlim(1, 1);
        async Task WriteAsync(ControlPlaneMessage message)
        {
            await writeTurn.WaitAsync(cancellationToken);
            try
            {
                await responseStream.WriteAsync(message, cancellationToken);
            }
            finally
            {
                writeTurn.Release();
            }
        }

        var healthReader = RecordReportsAsync(dataPlaneId, requestStream, WriteAsync, cancellationToken);
        try
        {
            var (snapshot, next) = await source.ReadAsync(null, cancellationToken);
            await WriteAsync(new ControlPlaneMessage { Sync = snapshot });

            using var timer = new PeriodicTimer(options.Value.Interval);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                (var delta, next) = await source.ReadAsync(next, cancellationToken);
                if (delta.Projects.Count > 0 || delta.ApiKeys.Count > 0 || delta.Alerts.Count > 0)
                {
                    await WriteAsync(new ControlPlaneMessage { Sync = delta });
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Data plane {DataPlaneId} disconnected", dataPlaneId);
        }
        await healthReader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RecordReportsAsync(
        string dataPlaneId, IAsyncStreamReader<DataPlaneMessage> requests, Func<ControlPlaneMessage, Task> reply, CancellationToken cancellationToken)
    {
        while (await requests.MoveNext(cancellationToken))
        {
            switch (requests.Current.BodyCase)
            {
                case DataPlaneMessage.BodyOneofCase.Health:
                    await registry.RecordHealthAsync(dataPlaneId, requests.Current.Health, cancellationToken);
                    break;
                case DataPlaneMessage.BodyOneofCase.KeyUsage:
                    await keyUsage.RecordAsync(dataPlaneId, requests.Current.KeyUsage, cancellationToken);
                    break;
                case DataPlaneMessage.BodyOneofCase.AlertReport:
                    var report = requests.Current.AlertReport;
                    try
                    {
                        await alertReports.RecordAsync(dataPlaneId, report, cancellationToken);
                    }
                    catch (Npgsql.NpgsqlException ex)
                    {
                        // Not acknowledged: the DP sends it again later. The stream (and its other reports) carries on.
                        logger.LogWarning("Could not record alert report {ReportId} of data plane {DataPlaneId} ({Reason})", report.ReportId, dataPlaneId, ex.Message);
                        break;
                    }
                    await reply(new ControlPlaneMessage { AlertReportAck = new AlertReportAck { ReportId = report.ReportId } });
                    break;
            }
        }
    }
}

/// <summary>How often the CP looks for changes to push (configuration section <c>Controller:Sync</c>).</summary>
public sealed class SyncOptions
{
    // A new or revoked key must take effect on the DP within 5 s: this interval plus the DP's key cache
    // (Auth:ApiKeys:CacheDuration, 2 s) and the apply stay well under that. One indexed query a second is cheap.
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}
