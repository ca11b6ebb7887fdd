using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HoneyHive.Writer;

/// <summary>What the Writer last did, for the "writer" health check.</summary>
public sealed class WriterStatus(TimeProvider clock)
{
    private long lastWrittenTicks;
    private long lastDeadLetterTicks;
    private int retrying;

    public DateTimeOffset? LastWritten => Read(ref lastWrittenTicks);
    public DateTimeOffset? LastDeadLetter => Read(ref lastDeadLetterTicks);
    public bool Retrying => Volatile.Read(ref retrying) != 0;

    public void Written()
    {
        Interlocked.Exchange(ref lastWrittenTicks, clock.GetUtcNow().UtcTicks);
        Volatile.Write(ref retrying, 0);
    }

    public void Retry() => Volatile.Write(ref retrying, 1);

    public void DeadLettered()
    {
        Interlocked.Exchange(ref lastDeadLetterTicks, clock.GetUtcNow().UtcTicks);
        Volatile.Write(ref retrying, 0);
    }

    internal TimeProvider Clock => clock;

    private static DateTimeOffset? Read(ref long ticks) =>
        Interlocked.Read(ref ticks) is var value && value > 0 ? new DateTimeOffset(value, TimeSpan.Zero) : null;
}

/// <summary>
/// Degraded (not unhealthy: ingestion keeps accepting, the message log holds the events) while writes are
/// being retried or when a batch went to the dead-letter store in the last few minutes.
/// </summary>
public sealed class WriterHealthCheck(WriterStatus status) : IHealthCheck
{
    public const string Name = "writer";
    private static readonly TimeSpan DeadLetterWindow = TimeSpan.FromMinutes(5);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        if (status.LastWritten is { } written) data["last_written"] = written;
        if (status.LastDeadLetter is { } dead) data["last_dead_letter"] = dead;
        if (status.Retrying)
            return Task.FromResult(HealthCheckResult.Degraded("Analytics-store writes are failing and being retried.", data: data));
        if (status.LastDeadLetter is { } last && status.Clock.GetUtcNow() - last < DeadLetterWindow)
            return Task.FromResult(HealthCheckResult.Degraded("Batches were dead-lettered recently; see ./hh dlq list.", data: data));
        return Task.FromResult(HealthCheckResult.Healthy("Writing events.", data));
    }
}
