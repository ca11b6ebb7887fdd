using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// The CP end of the controllers' stream: register (answered with the signed identity document), then the changes since
/// the DP's version or, when it has none or is too far behind, a full snapshot in chunks; then versioned changes as they
/// commit. Health, key-use and alert reports are recorded (an alert report is acknowledged once it is in cpdb, so the DP
/// marks it reported only then).
/// </summary>
public sealed class ControllerSyncService(
    DataPlaneRegistry registry,
    ControlPlaneSyncSource source,
    SyncChangeSignal changes,
    SyncStreamStats stats,
    KeyUsageSink keyUsage,
    AlertReportSink alertReports,
    IOptions<SyncOptions> options,
    TimeProvider clock,
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

        var register = requestStream.Current.Register;
        var registered = await registry.RegisterAsync(register, cancellationToken);
        var dataPlaneId = registered.DataPlaneId;
        logger.LogInformation("Data plane {DataPlaneId} connected at sync version {Version}", dataPlaneId, register.LastVersion);
        await responseStream.WriteAsync(new ControlPlaneMessage { Registered = registered }, cancellationToken);

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

        var reportReader = RecordReportsAsync(dataPlaneId, requestStream, WriteAsync, cancellationToken);
        try
        {
            // Read before the first read of changes, so a change committed meanwhile wakes the loop.
            var wake = changes.NextChange;
            var read = await source.ReadChangesAsync(register.LastVersion, cancellationToken);
            stats.Started(resumed: read is not null);
            read ??= await source.ReadSnapshotAsync(cancellationToken);
            await SendAsync(dataPlaneId, read, WriteAsync);
            var version = read.Version;
            var lastSent = clock.GetUtcNow();

            while (true)
            {
                await Task.WhenAny(wake, Task.Delay(options.Value.Interval, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                wake = changes.NextChange;
                // Null only if the changes since our own version were pruned meanwhile: start over with a snapshot.
                read = await source.ReadChangesAsync(version, cancellationToken) ?? await source.ReadSnapshotAsync(cancellationToken);
                // An empty change set is sent now and then so the DP's version keeps up (and a reconnect has little to read).
                if (read.Records > 0 || (read.Version > version && clock.GetUtcNow() - lastSent >= options.Value.Heartbeat))
                {
                    await SendAsync(dataPlaneId, read, WriteAsync);
                    lastSent = clock.GetUtcNow();
                }
                version = read.Version;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Data plane {DataPlaneId} disconnected", dataPlaneId);
        }
        await reportReader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SendAsync(string dataPlaneId, SyncRead read, Func<ControlPlaneMessage, Task> write)
    {
        foreach (var batch in read.Batches) await write(new ControlPlaneMessage { Sync = batch });
        stats.Sent(read);
        logger.LogDebug("Sent data plane {DataPlaneId} {Kind} of {Records} records to version {Version}",
            dataPlaneId, read.Batches[0].FullSnapshot ? "a snapshot" : "changes", read.Records, read.Version);
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

/// <summary>What the streams sent, for tests and diagnostics: how each stream started, and the snapshots and change sets since.</summary>
public sealed class SyncStreamStats
{
    private long snapshots;
    private long changeSets;
    private long records;
    private long resumes;

    public long Snapshots => Interlocked.Read(ref snapshots);
    public long ChangeSets => Interlocked.Read(ref changeSets);
    public long Records => Interlocked.Read(ref records);

    /// <summary>Streams that started with the changes since the DP's version rather than a snapshot.</summary>
    public long Resumes => Interlocked.Read(ref resumes);

    internal void Started(bool resumed)
    {
        if (resumed) Interlocked.Increment(ref resumes);
    }

    internal void Sent(SyncRead read)
    {
        Interlocked.Increment(ref read.Batches[0].FullSnapshot ? ref snapshots : ref changeSets);
        Interlocked.Add(ref records, read.Records);
    }
}

/// <summary>The CP end of the stream (configuration section <c>Controller:Sync</c>).</summary>
public sealed class SyncOptions
{
    // Changes are pushed when cpdb notifies them (SyncChangeSignal); this poll is only the fallback.
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle stream still moves the DP's version forward with an empty change set.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long changes are kept for DPs to resume from; a DP away longer gets a full snapshot.</summary>
    public TimeSpan ChangeRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>PEM file of the CP controller's identity key, which signs the DPs' identity documents; created on first start.</summary>
    public string IdentityKeyPath { get; set; } = Path.Combine(".data", "cp-controller-identity.pem");

    /// <summary>How long an identity document is valid; a DP gets a new one each time it registers.</summary>
    public TimeSpan IdentityLifetime { get; set; } = TimeSpan.FromDays(30);
}
