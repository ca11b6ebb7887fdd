using System.Diagnostics.Metrics;

namespace HoneyHive.Writer;

/// <summary>The Writer's instruments on the "HoneyHive" meter (exported by ServiceDefaults' OpenTelemetry setup).</summary>
public sealed class WriterMetrics
{
    public const string MeterName = "HoneyHive";

    private readonly Histogram<int> batchMessages;
    private readonly Histogram<int> batchEvents;
    private readonly Histogram<double> insertDuration;
    private readonly Histogram<double> lag;
    private readonly Counter<long> rows;
    private readonly Counter<long> retries;
    private readonly Counter<long> deadLetters;
    private readonly Counter<long> deferred;

    public WriterMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        batchMessages = meter.CreateHistogram<int>("honeyhive.writer.batch.messages", "{message}", "Messages per consumed batch.");
        batchEvents = meter.CreateHistogram<int>("honeyhive.writer.batch.events", "{event}", "Events per consumed batch.");
        insertDuration = meter.CreateHistogram<double>("honeyhive.writer.insert.duration", "s", "Enrich and insert time of a batch, retries included.");
        lag = meter.CreateHistogram<double>("honeyhive.writer.consumer.lag", "s",
            "Age of a batch's oldest message when its rows became visible: publish to queryable.");
        rows = meter.CreateCounter<long>("honeyhive.writer.rows", "{row}", "Rows inserted into events (events and session roll-ups).");
        retries = meter.CreateCounter<long>("honeyhive.writer.retries", "{retry}", "Retried analytics-store writes.");
        deadLetters = meter.CreateCounter<long>("honeyhive.writer.deadletters", "{message}", "Messages written to the dead-letter store.");
        deferred = meter.CreateCounter<long>("honeyhive.writer.deferred", "{message}", "Update messages redelivered later because their event was not stored yet.");
    }

    public void Batch(int messages, int events)
    {
        batchMessages.Record(messages);
        batchEvents.Record(events);
    }

    public void Inserted(int rowCount, TimeSpan elapsed, TimeSpan? age)
    {
        rows.Add(rowCount);
        insertDuration.Record(elapsed.TotalSeconds);
        if (age is { } a) lag.Record(Math.Max(0, a.TotalSeconds));
    }

    public void Retry() => retries.Add(1);

    public void DeadLettered(int messages) => deadLetters.Add(messages);

    public void Deferred(int messages)
    {
        if (messages > 0) deferred.Add(messages);
    }
}
