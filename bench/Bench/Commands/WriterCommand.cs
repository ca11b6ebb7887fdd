using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Report;
using HoneyHive.Bench.Writer;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer;
using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench writer`: the Writer's enrichment and writes alone (no NATS, no ingestion) against chDB in a
/// throw-away folder, batch after batch into a growing table, with the time of every store call, and
/// the plain chDB insert ceiling for the same kind of rows in the same run. Finds what limits `bench e2e`.
/// Then it reads back what it wrote (events, auto-created session rows, no row stored twice): a
/// mismatch fails the run.
/// </summary>
public static class WriterCommand
{
    /// <summary>The messages as the batch handler's prepare stage reads them.</summary>
    private static List<EventRow> Prepare(IReadOnlyList<IncomingMessage> messages, ComputedFields computed) =>
        IncomingEvents.ParseAndEnrich(messages, computed).SelectMany(p => p.Error is null ? p.Events : throw new InvalidOperationException(p.Error)).ToList();

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable);
        var batches = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var sessionsPerBatch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var spansPerSession = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"# {batches} batches of {sessionsPerBatch} sessions x {spansPerSession} spans");

        var dataPath = Path.Combine(BenchEnvironment.DataDirectory, "writer-" + Guid.NewGuid().ToString("N")[..8]);
        var results = new List<Measurement>();
        double rate;
        var readBack = new ReadBack(0, 0, 0, false);
        try
        {
            using var chdb = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = BenchEnvironment.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance);
            await new ClickHouseMigrator(chdb, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(ct);
            var timed = new TimedAnalyticsStore(chdb);
            var objects = new FileSystemObjectStore(Path.Combine(dataPath, "objects"), NullLogger<FileSystemObjectStore>.Instance);
            var computed = new ComputedFields(new ModelPrices(new ConfigurationBuilder().Build()));
            var writer = new EventWriter(new EventStore(timed), computed, new LargePayloads(objects, new WriterOptions()));
            var project = Guid.NewGuid().ToString();

            // One untimed batch: the first insert into a fresh engine runs at about half speed.
            var warmUp = Prepare(WriterRecords.Messages(project, sessionsPerBatch, spansPerSession, seed: -1), computed);
            await writer.WriteAsync(warmUp, ct);
            timed.Reset();

            long events = 0;
            var written = new HashSet<string>(warmUp.Select(r => r.EventId));
            var sessions = new HashSet<string>(warmUp.Where(r => r.SessionAutoCreate).Select(r => r.SessionId));
            var enrich = TimeSpan.Zero;
            var messages = Enumerable.Range(0, batches).Select(b => WriterRecords.Messages(project, sessionsPerBatch, spansPerSession, seed: b)).ToList();
            var clock = Stopwatch.StartNew();
            // As the subscription runs the Writer: batch N+1 parsed and enriched (IncomingEvents.ParseAndEnrich,
            // the handler's prepare stage) while batch N is written.
            var next = Task.Run(() => Prepare(messages[0], computed), ct);
            for (var b = 0; b < batches; b++)
            {
                var rows = await next;
                if (b + 1 < batches)
                {
                    var following = messages[b + 1];
                    next = Task.Run(() => Prepare(following, computed), ct);
                }

                await writer.WriteAsync(rows, ct);
                events += rows.Count;
                written.UnionWith(rows.Select(r => r.EventId));
                sessions.UnionWith(rows.Where(r => r.SessionAutoCreate).Select(r => r.SessionId));
            }

            clock.Stop();

            // Read back what was written, as stored: every event once, every auto-created session row,
            // and no (event_id, version) stored twice. A fast writer that drops or doubles rows fails here.
            readBack = await ReadBackAsync(chdb, project, written.Count, sessions.Count, ct);
            results.Add(new Measurement("writer.read_back", "events", readBack.Events,
                $"of {written.Count:N0} written; {readBack.Sessions:N0} session rows of {sessions.Count:N0} auto-created; {readBack.DuplicateRows} rows stored twice (events without FINAL)"));

            rate = events / clock.Elapsed.TotalSeconds;
            results.Add(new Measurement("writer.events", "events/s", rate, $"{events:N0} events in {clock.Elapsed.TotalSeconds:0.0} s"));
            var storeTime = TimeSpan.Zero;
            foreach (var (label, (calls, time)) in timed.Totals.OrderByDescending(t => t.Value.Time))
            {
                storeTime += time;
                results.Add(new Measurement("writer.store." + label.Replace(' ', '_'), "ms/batch", time.TotalMilliseconds / batches, $"{calls} calls"));
            }
            enrich = clock.Elapsed - storeTime;
            results.Add(new Measurement("writer.outside_store", "ms/batch", enrich.TotalMilliseconds / batches, "serialization and the rest of the Writer's own work not hidden behind the store (parsing and enrichment of the next batch overlap the writes)"));
        }
        finally
        {
            if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        }

        Console.WriteLine("# chDB insert ceiling for the same kind of rows");
        // The Writer inserts into events itself, views and typed columns included: the fastest format into that table.
        // Both formats' figures go in the table, so which one set the ceiling shows.
        var inserts = (await new ChdbInsertLimit().MeasureAsync(ct)).Where(m => m.Unit == "rows/s").ToList();
        results.AddRange(inserts);
        var ceiling = inserts.Where(m => m.Name.EndsWith(".with_views", StringComparison.Ordinal)).Select(m => m.Value).DefaultIfEmpty(0).Max();
        results.Add(new Measurement("chdb.insert.ceiling", "rows/s", ceiling));
        var ratio = ceiling > 0 ? rate / ceiling : double.NaN;
        results.Add(new Measurement("writer.ceiling_ratio", "ratio", ratio));

        await ResultFile.PublishAsync("writer", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"writer: events_per_s={rate:0} ceiling_rows_per_s={ceiling:0} ceiling_ratio={ratio:0.00} read_back={(readBack.Matches ? "ok" : "MISMATCH")} events_read={readBack.Events}"), ct);
        return readBack.Matches ? 0 : 1;
    }

    private sealed record ReadBack(long Events, long Sessions, long DuplicateRows, bool Matches);

    private static async Task<ReadBack> ReadBackAsync(IAnalyticsStore store, string project, long expectedEvents, long expectedSessions, CancellationToken ct)
    {
        var row = (await store.QueryAsync(
            "SELECT toString(uniqExactIf(event_id, event_type != 'session')) AS events, toString(uniqExactIf(event_id, event_type = 'session')) AS sessions, " +
            "toString(count() - uniqExact(event_id, version)) AS twice FROM events WHERE project_id = {project:String}",
            new Dictionary<string, object?> { ["project"] = project }, ct))[0];
        long Read(string name) => long.Parse(row.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);
        var (events, sessions, twice) = (Read("events"), Read("sessions"), Read("twice"));
        return new ReadBack(events, sessions, twice, events == expectedEvents && sessions == expectedSessions && twice == 0);
    }
}
