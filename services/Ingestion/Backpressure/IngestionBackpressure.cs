using System.Diagnostics.Metrics;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Ingestion.Backpressure;

/// <summary>Whether ingestion should accept more right now, and if not, how long clients should wait.</summary>
public readonly record struct BackpressureState(bool Accepting, bool LogUnavailable, TimeSpan RetryAfter, string? Reason)
{
    public static BackpressureState Open { get; } = new(true, false, TimeSpan.Zero, null);
}

/// <summary>
/// Refuses new data early (429 / RESOURCE_EXHAUSTED) when the Writer's lag in time on events-stream is
/// heading over <see cref="BackpressureOptions.MaxLag"/> (or its backlog over the hard message cap), and
/// (503 / UNAVAILABLE) when the NATS connection is down, so exporters back off and retry instead of having
/// their data wait minutes in a backlog, be lost, or wait on timeouts. The lag is read from JetStream, not
/// from the Writer, so it holds for any number of Writer and ingestion replicas (see <see cref="WriterLagProbe"/>
/// and <see cref="WriterLag"/>). Dapr mode has no NATS connection of ours: nothing is polled and ingestion is
/// always open; the sidecar's publish errors are the only signal there, as before.
/// </summary>
public sealed class IngestionBackpressure : BackgroundService
{
    private readonly IServiceProvider services;
    private readonly BackpressureOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<IngestionBackpressure> logger;
    // Resolved once: Current is read on every request. Null in Dapr mode (no NATS connection of ours).
    private readonly INatsConnection? connection;
    private volatile Verdict verdict = Verdict.Open;
    private long polls;

    public IngestionBackpressure(IServiceProvider services, BackpressureOptions options, TimeProvider clock, ILogger<IngestionBackpressure> logger)
    {
        this.services = services;
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        connection = services.GetService<INatsConnection>();
        if (services.GetService<IMeterFactory>() is { } meters) RegisterGauges(meters.Create(ServiceDefaultsExtensions.TelemetryName));
    }

    /// <summary>The Writer's lag as of the last poll (zero before the first, and always in Dapr mode).</summary>
    public LagEstimate Lag => verdict.Lag;

    public long LastBacklog => verdict.Lag.Backlog;

    /// <summary>Polls that read every watched consumer and decided (for tests and diagnostics).</summary>
    public long Polls => Interlocked.Read(ref polls);

    public BackpressureState Current
    {
        get
        {
            if (connection is not null && connection.ConnectionState != NatsConnectionState.Open)
                return new BackpressureState(false, true, options.RetryAfter, "The message log is unreachable.");
            return verdict.State;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var js = services.GetService<INatsJSContext>();
        if (js is null) return; // Dapr mode: the sidecar's publish errors are the only signal.
        var probe = new WriterLagProbe(js, options.Stream, clock);
        var lags = options.Consumers.Distinct(StringComparer.Ordinal).ToDictionary(c => c, _ => new WriterLag(options.RateWindow), StringComparer.Ordinal);
        using var timer = new PeriodicTimer(options.PollInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var worst = LagEstimate.None;
                foreach (var (name, lag) in lags)
                {
                    // A consumer that does not exist yet (the Writer has not started) has nothing waiting on it.
                    if (await probe.ReadAsync(name, stoppingToken) is not { } reading) continue;
                    var estimate = lag.Add(reading);
                    var backlog = Math.Max(worst.Backlog, estimate.Backlog);
                    worst = (estimate.Lag > worst.Lag ? estimate : worst) with { Backlog = backlog };
                }
                Decide(worst);
                Interlocked.Increment(ref polls);
            }
            catch (Exception ex) when (ex is NatsException or NatsJSException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                // The last verdict stands; a lost connection is answered by Current itself.
                logger.LogDebug("Could not read the Writer's lag: {Reason}", ex.Message);
            }
        }
    }

    private void Decide(LagEstimate lag)
    {
        BackpressureState state;
        if (lag.Backlog > options.MaxBacklogMessages)
        {
            state = new BackpressureState(false, false, options.RetryAfter,
                $"The event backlog ({lag.Backlog} messages) is over its limit.");
        }
        else if (lag.Exceeds(options.MaxLag))
        {
            // Long enough for the lag to come back to half the bound at the rate it drains, never longer than configured.
            var wait = lag.Lag - options.MaxLag / 2;
            var retryAfter = wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > options.RetryAfter ? options.RetryAfter : wait;
            state = new BackpressureState(false, false, retryAfter, string.Create(CultureInfo.InvariantCulture,
                $"The event writer is behind: new data would wait {lag.Lag.TotalSeconds:0.0} s (bound {options.MaxLag.TotalSeconds:0.0} s)."));
        }
        else
        {
            state = BackpressureState.Open;
        }

        var previous = verdict;
        verdict = new Verdict(state, lag);
        if (previous.State.Accepting != state.Accepting)
        {
            logger.LogWarning("Ingestion back-pressure {State}: Writer lag {Age:0.0} s, projected {Projected:0.0} s (bound {Bound:0.0} s), backlog {Backlog} messages (cap {Cap})",
                state.Accepting ? "off" : "on", lag.Age.TotalSeconds, lag.Projected?.TotalSeconds, options.MaxLag.TotalSeconds, lag.Backlog, options.MaxBacklogMessages);
        }
    }

    private void RegisterGauges(Meter meter)
    {
        meter.CreateObservableGauge("honeyhive.ingestion.writer.lag", () => Lag.Age.TotalSeconds, "s",
            "Age of the oldest message the Writer has not stored (held messages aside), as back-pressure last read it.");
        meter.CreateObservableGauge("honeyhive.ingestion.writer.lag.projected", () => Lag.Projected?.TotalSeconds ?? Lag.Age.TotalSeconds, "s",
            "How long a message published now would wait: messages in line / the Writer's drain rate.");
        meter.CreateObservableGauge("honeyhive.ingestion.writer.backlog", () => Lag.Backlog, "{message}",
            "Messages on events-stream the Writer has not acknowledged.");
        meter.CreateObservableGauge("honeyhive.ingestion.backpressure.refusing", () => verdict.State.Accepting ? 0 : 1, "{state}",
            "1 while ingestion answers 429 / RESOURCE_EXHAUSTED because of the Writer's lag or backlog.");
    }

    private sealed record Verdict(BackpressureState State, LagEstimate Lag)
    {
        public static Verdict Open { get; } = new(BackpressureState.Open, LagEstimate.None);
    }
}
