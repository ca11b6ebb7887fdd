using HoneyHive.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Ingestion.Backpressure;

/// <summary>Whether ingestion should accept more right now, and if not, how long clients should wait.</summary>
public readonly record struct BackpressureState(bool Accepting, bool LogUnavailable, TimeSpan RetryAfter, string? Reason)
{
    public static BackpressureState Open { get; } = new(true, false, TimeSpan.Zero, null);
}

/// <summary>
/// Refuses new data early (429 / RESOURCE_EXHAUSTED) when the Writer's backlog on events-stream is
/// over its limit, and (503 / UNAVAILABLE) when the NATS connection is down, so exporters back
/// off and retry instead of having their data lost or waiting on timeouts.
/// </summary>
public sealed class IngestionBackpressure(
    IServiceProvider services,
    BackpressureOptions options,
    ILogger<IngestionBackpressure> logger) : BackgroundService
{
    // Resolved once: Current is read on every request. Null in Dapr mode (no NATS connection of ours).
    private readonly INatsConnection? connection = services.GetService<INatsConnection>();
    private volatile int backlogOverLimit;
    private long lastBacklog;

    public long LastBacklog => Interlocked.Read(ref lastBacklog);

    public BackpressureState Current
    {
        get
        {
            if (connection is not null && connection.ConnectionState != NatsConnectionState.Open)
                return new BackpressureState(false, true, options.RetryAfter, "The message log is unreachable.");
            if (backlogOverLimit == 1)
                return new BackpressureState(false, false, options.RetryAfter, $"The event backlog ({LastBacklog} messages) is over its limit.");
            return BackpressureState.Open;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var js = services.GetService<INatsJSContext>();
        if (js is null) return; // Dapr mode: the sidecar's publish errors are the only signal.
        using var timer = new PeriodicTimer(options.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                long backlog = 0;
                foreach (var name in options.Consumers)
                {
                    try
                    {
                        var info = (await js.GetConsumerAsync(Streams.Events, name, stoppingToken)).Info;
                        backlog = Math.Max(backlog, (long)info.NumPending + info.NumAckPending);
                    }
                    catch (NatsJSApiException ex) when (ex.Error.Code == 404)
                    {
                        // Not created yet (the Writer has not started): nothing is waiting on it.
                    }
                }
                Interlocked.Exchange(ref lastBacklog, backlog);
                var over = backlog > options.MaxBacklogMessages ? 1 : 0;
                if (Interlocked.Exchange(ref backlogOverLimit, over) != over)
                {
                    logger.LogWarning("Ingestion back-pressure {State}: backlog {Backlog} messages, limit {Limit}",
                        over == 1 ? "on" : "off", backlog, options.MaxBacklogMessages);
                }
            }
            catch (Exception ex) when (ex is NatsException or NatsJSException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug("Could not read the event backlog: {Reason}", ex.Message);
            }
        }
    }
}

/// <summary>Configuration section <c>Ingestion:Backpressure</c>.</summary>
public sealed class BackpressureOptions
{
    /// <summary>Unprocessed messages on events-stream (about 100 spans each) above which new data is refused.</summary>
    public long MaxBacklogMessages { get; set; } = 200_000;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Durable consumers whose backlog counts (the Writer's). Only these: a consumer left behind by a
    /// removed app must not stop ingestion.
    /// </summary>
    public string[] Consumers { get; set; } = ["cp-writer"];

    /// <summary>What Retry-After tells clients.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
