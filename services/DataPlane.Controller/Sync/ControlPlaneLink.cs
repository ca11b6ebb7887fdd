using Grpc.Core;
using Grpc.Net.Client;
using HoneyHive.Contracts.ControllerSync;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// Keeps the stream to the CP controller open: registers, applies every sync batch to dpdb, sends
/// health reports, project keys' last-used times and the alert engine's reports (marked reported on the CP's ack), and reconnects with capped exponential backoff when the CP is away.
/// </summary>
public sealed class ControlPlaneLink(
    DataPlaneIdentity identity,
    SyncApplier applier,
    KeyUsageReporter keyUsage,
    AlertReporter alerts,
    HealthCheckService health,
    IOptions<ControlPlaneLinkOptions> options,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<ControlPlaneLink> logger) : BackgroundService
{
    /// <summary>Completed once the first full snapshot is in dpdb.</summary>
    public Task FirstSnapshotApplied => firstSnapshot.Task;

    private readonly TaskCompletionSource firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // TLS as configured (Tls section): the DP's client certificate for the CP's mutual TLS, the CA it trusts.
        using var channel = GrpcChannel.ForAddress(options.Value.ControlPlaneUrl,
            new GrpcChannelOptions { HttpHandler = TlsExtensions.ControllerStreamHandler(configuration) });
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
            catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or Npgsql.NpgsqlException)
            {
                logger.LogWarning("Control-plane link to {Url} failed ({Reason}); retrying in {Delay}", options.Value.ControlPlaneUrl, ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task RunOnceAsync(ControllerSync.ControllerSyncClient client, CancellationToken cancellationToken)
    {
        using var call = client.Connect(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new DataPlaneMessage { Register = identity.CreateRegistration(clock.GetUtcNow()) }, cancellationToken);
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
                        logger.LogInformation("Registered with the control plane as {DataPlaneId}", message.Registered.DataPlaneId);
                        break;
                    case ControlPlaneMessage.BodyOneofCase.Sync:
                        await applier.ApplyAsync(message.Sync, cancellationToken);
                        logger.LogDebug("Applied {Projects} projects and {Keys} keys", message.Sync.Projects.Count, message.Sync.ApiKeys.Count);
                        if (message.Sync.FullSnapshot) firstSnapshot.TrySetResult();
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
            var report = await health.CheckHealthAsync(cancellationToken);
            var message = new HoneyHive.Contracts.ControllerSync.HealthReport { Status = report.Status.ToString() };
            foreach (var (name, entry) in report.Entries) message.Checks[name] = entry.Status.ToString();
            await requests.WriteAsync(new DataPlaneMessage { Health = message }, cancellationToken);
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

    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often project keys' last-used times and the alert engine's transitions and runs are reported to the CP.</summary>
    public TimeSpan KeyUsageInterval { get; set; } = TimeSpan.FromSeconds(3);
}
