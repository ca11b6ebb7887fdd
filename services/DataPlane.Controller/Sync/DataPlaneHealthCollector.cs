using HoneyHive.Contracts;
using HoneyHive.Ingestion.Backpressure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// The health report the DP sends the CP: every health check of this process (dpdb, NATS, the analytics store and the
/// object store where they run here) and, from JetStream, the ingestion rate (messages stored on events-stream per
/// second since the previous report) and the Writer's lag (its durable consumer, read as ingestion's back-pressure reads
/// it: <see cref="WriterLagProbe"/>). Read from JetStream rather than from the services, so it holds for any number of
/// ingestion and Writer replicas. Without a NATS connection of ours (Dapr mode) the figures are -1: unknown.
/// </summary>
public sealed class DataPlaneHealthCollector(HealthCheckService health, IServiceProvider services, IConfiguration configuration, TimeProvider clock)
{
    private readonly WriterLag writerLag = new(TimeSpan.FromSeconds(30));
    private readonly INatsJSContext? js = services.GetService<INatsConnection>() is null ? null : services.GetService<INatsJSContext>();
    private readonly string writerConsumer = configuration["Writer:ConsumerName"] is { Length: > 0 } name ? name : AppIds.Writer;
    private WriterLagProbe? probe;
    private (DateTimeOffset At, ulong LastSequence)? previous;

    public async Task<Contracts.ControllerSync.HealthReport> CollectAsync(ulong syncVersion, CancellationToken cancellationToken)
    {
        var checks = await health.CheckHealthAsync(cancellationToken);
        var report = new Contracts.ControllerSync.HealthReport
        {
            Status = checks.Status.ToString(),
            ReportedAtUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            SyncVersion = syncVersion,
            IngestionEventsPerSecond = -1,
            WriterLagSeconds = -1,
            WriterBacklog = -1,
        };
        foreach (var (name, entry) in checks.Entries) report.Checks[name] = entry.Status.ToString();
        if (js is null) return report;

        try
        {
            var now = clock.GetUtcNow();
            var stream = await js.GetStreamAsync(Streams.Events, cancellationToken: cancellationToken);
            var lastSequence = stream.Info.State.LastSeq;
            if (previous is { } before && now > before.At && lastSequence >= before.LastSequence)
                report.IngestionEventsPerSecond = (lastSequence - before.LastSequence) / (now - before.At).TotalSeconds;
            previous = (now, lastSequence);

            probe ??= new WriterLagProbe(js, Streams.Events, clock);
            if (await probe.ReadAsync(writerConsumer, cancellationToken) is { } reading)
            {
                var estimate = writerLag.Add(reading);
                report.WriterLagSeconds = estimate.Age.TotalSeconds;
                report.WriterBacklog = estimate.Backlog;
            }
            else
            {
                // No Writer consumer yet: nothing waits on it.
                report.WriterLagSeconds = 0;
                report.WriterBacklog = 0;
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // NATS unreachable: the "nats" check says so; the figures stay unknown.
        }
        return report;
    }
}
