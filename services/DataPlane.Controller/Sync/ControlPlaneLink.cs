using Grpc.Core;
using Grpc.Net.Client;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// Keeps the stream to the CP controller open: registers with the sync version dpdb holds, checks and keeps the CP's
/// identity document, applies every sync batch to dpdb, sends health reports, project keys' last-used times and the alert
/// engine's reports (marked reported on the CP's ack), and reconnects with capped exponential backoff when the CP is away.
/// While it is away the DP works from what dpdb holds.
/// </summary>
public sealed class ControlPlaneLink(
    DataPlaneIdentity identity,
    SyncApplier applier,
    KeyUsageReporter keyUsage,
    AlertReporter alerts,
    DataPlaneHealthCollector health,
    IOptions<ControlPlaneLinkOptions> options,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<ControlPlaneLink> logger) : BackgroundService
{
    /// <summary>Completed once dpdb holds a complete snapshot or change set from the CP (on this run or an earlier one).</summary>
    public Task FirstSnapshotApplied => firstSnapshot.Task;

    private readonly TaskCompletionSource firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private long version;
    private long snapshotsReceived;
    private long changeSetsReceived;

    /// <summary>The sync version dpdb holds, as of the last batch applied.</summary>
    public ulong Version => (ulong)Interlocked.Read(ref version);

    /// <summary>Complete snapshots applied since start (for tests and diagnostics).</summary>
    public long SnapshotsReceived => Interlocked.Read(ref snapshotsReceived);

    /// <summary>Complete change sets applied since start.</summary>
    public long ChangeSetsReceived => Interlocked.Read(ref changeSetsReceived);

    /// <summary>The CP's identity document for this DP, once verified.</summary>
    public string? IdentityDocument { get; private set; }

    // The one place the channel to the CP controller is made: TLS as configured (Tls section), the DP's client
    // certificate for the CP's mutual TLS and the CA it trusts.
    private GrpcChannel CreateChannel() => GrpcChannel.ForAddress(options.Value.ControlPlaneUrl,
        new GrpcChannelOptions { HttpHandler = TlsExtensions.ControllerStreamHandler(configuration) });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = CreateChannel();
        var client = new ControllerSync.ControllerSyncClient(channel);
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(client, stoppingToken);
                delay = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or Npgsql.NpgsqlException or IdentityRefusedException)
            {
                logger.LogWarning("Control-plane link to {Url} failed ({Reason}); retrying in {Delay}", options.Value.ControlPlaneUrl, ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task RunOnceAsync(ControllerSync.ControllerSyncClient client, CancellationToken cancellationToken)
    {
        var held = await applier.CurrentVersionAsync(cancellationToken);
        Interlocked.Exchange(ref version, (long)held);
        // A DP that already holds a synced copy works from it while the CP is away.
        if (held > 0) firstSnapshot.TrySetResult();
        using var call = client.Connect(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new DataPlaneMessage { Register = identity.CreateRegistration(clock.GetUtcNow(), held) }, cancellationToken);
        // Chunks of one snapshot share an id, so its last chunk can tell stale rows from the snapshot's.
        var snapshotId = Guid.NewGuid();
        using var linkEnded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var alertCursor = new AlertReporter.Cursor();
        var reporter = ReportAsync(call.RequestStream, alertCursor, linkEnded.Token);
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                switch (message.BodyCase)
                {
                    case ControlPlaneMessage.BodyOneofCase.Registered:
                        await AcceptIdentityAsync(message.Registered, cancellationToken);
                        break;
                    case ControlPlaneMessage.BodyOneofCase.Sync:
                        var batch = message.Sync;
                        await applier.ApplyAsync(batch, snapshotId, cancellationToken);
                        logger.LogDebug("Applied {Projects} projects, {Keys} keys and {Alerts} alerts", batch.Projects.Count, batch.ApiKeys.Count, batch.Alerts.Count);
                        if (!batch.Last) break;
                        Interlocked.Exchange(ref version, (long)batch.Version);
                        Interlocked.Increment(ref batch.FullSnapshot ? ref snapshotsReceived : ref changeSetsReceived);
                        if (batch.FullSnapshot) snapshotId = Guid.NewGuid();
                        firstSnapshot.TrySetResult();
                        break;
                    case ControlPlaneMessage.BodyOneofCase.AlertReportAck:
                        await alerts.AcknowledgeAsync(alertCursor, message.AlertReportAck.ReportId, cancellationToken);
                        break;
                }
            }
        }
        finally
        {
            await linkEnded.CancelAsync();
            await reporter.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        throw new RpcException(new Status(StatusCode.Unavailable, "The control plane closed the stream."));
    }

    /// <summary>
    /// Checks the CP's identity document (signed by the CP key, for this DP id and key) and keeps it. The CP key is pinned on
    /// first use, or configured (<see cref="ControlPlaneLinkOptions.ControlPlaneKeyId"/>): a CP presenting another key is refused.
    /// </summary>
    private async Task AcceptIdentityAsync(Registered registered, CancellationToken cancellationToken)
    {
        var cpKey = registered.ControlPlanePublicKey.ToByteArray();
        var expected = options.Value.ControlPlaneKeyId;
        if (expected is { Length: > 0 } && !string.Equals(expected, DataPlaneIdentityDocument.KeyId(cpKey), StringComparison.Ordinal))
            throw new IdentityRefusedException($"The control plane's key is not the configured one ({expected}).");
        if (await applier.PinnedControlPlaneKeyAsync(cancellationToken) is { } pinned && !pinned.AsSpan().SequenceEqual(cpKey))
            throw new IdentityRefusedException("The control plane presents another key than the one pinned on first registration.");
        if (await DataPlaneIdentityDocument.ValidateAsync(registered.IdentityDocument, cpKey, identity.DataPlaneId, identity.PublicKey, clock.GetUtcNow()) is { } problem)
            throw new IdentityRefusedException(problem);
        await applier.StoreIdentityAsync(registered.IdentityDocument, cpKey, cancellationToken);
        IdentityDocument = registered.IdentityDocument;
        logger.LogInformation("Registered with the control plane as {DataPlaneId}", registered.DataPlaneId);
    }

    // One writer for the request stream: gRPC allows a single pending write, so health and key usage share a loop.
    private async Task ReportAsync(IClientStreamWriter<DataPlaneMessage> requests, AlertReporter.Cursor alertCursor, CancellationToken cancellationToken)
    {
        var cursor = new KeyUsageReporter.Cursor();
        var nextHealth = clock.GetUtcNow() + options.Value.HealthInterval;
        using var timer = new PeriodicTimer(options.Value.KeyUsageInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                if (await keyUsage.NextAsync(cursor, cancellationToken) is { } usage)
                    await requests.WriteAsync(new DataPlaneMessage { KeyUsage = usage }, cancellationToken);
            }
            catch (Npgsql.NpgsqlException ex)
            {
                logger.LogWarning("Could not read key usage from dpdb ({Reason}); retrying at the next report", ex.Message);
            }

            try
            {
                if (await alerts.NextAsync(alertCursor, clock.GetUtcNow(), cancellationToken) is { } alertReport)
                    await requests.WriteAsync(new DataPlaneMessage { AlertReport = alertReport }, cancellationToken);
            }
            catch (Npgsql.NpgsqlException ex)
            {
                logger.LogWarning("Could not read the alert engine's transitions from dpdb ({Reason}); retrying at the next report", ex.Message);
            }

            if (clock.GetUtcNow() < nextHealth) continue;
            nextHealth = clock.GetUtcNow() + options.Value.HealthInterval;
            await requests.WriteAsync(new DataPlaneMessage { Health = await health.CollectAsync(Version, cancellationToken) }, cancellationToken);
        }
    }
}

/// <summary>Configuration section <c>Controller</c> of the data plane.</summary>
public sealed class ControlPlaneLinkOptions
{
    /// <summary>The CP controller's gRPC address (HTTP/2).</summary>
    public string ControlPlaneUrl { get; set; } = "http://127.0.0.1:8091";

    public string DataPlaneId { get; set; } = "local";

    /// <summary>PEM file holding the DP's private key; created on first start.</summary>
    public string IdentityPath { get; set; } = Path.Combine(".data", "dp-identity.pem");

    /// <summary>
    /// The CP controller's key id (base64url SHA-256 of its SubjectPublicKeyInfo) to accept; empty: pin the key of the
    /// first CP this DP registers with.
    /// </summary>
    public string? ControlPlaneKeyId { get; set; }

    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often project keys' last-used times and the alert engine's transitions and runs are reported to the CP.</summary>
    public TimeSpan KeyUsageInterval { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>The CP's identity answer was refused (another CP key, a bad document): the link retries, and works from dpdb meanwhile.</summary>
public sealed class IdentityRefusedException(string message) : Exception(message);
