using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Lifecycle;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using HoneyHive.Bench.Writer;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using HoneyHive.Writer;
using HoneyHive.Writer.Enrichment;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench lifecycle`: one project's rows written by the Writer (the ingestion baseline, in this run), then archived to
/// Parquet in the filesystem object store and removed, then restored, all against chDB in a throw-away folder and a
/// throw-away dpdb. Every figure counts rows read back: the rows stored after ingestion, the rows the archive's
/// manifests hold (and none left in ClickHouse after removal), the rows stored again after the restore (all of them,
/// no duplicate). A mismatch fails the run.
/// </summary>
public static class LifecycleCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var batches = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var sessionsPerBatch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var spansPerSession = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"# {batches} batches of {sessionsPerBatch} sessions x {spansPerSession} spans");

        var dataPath = Path.Combine(BenchEnvironment.DataDirectory, "lifecycle-" + Guid.NewGuid().ToString("N")[..8]);
        var database = "bench_lifecycle_" + Guid.NewGuid().ToString("N")[..8];
        var results = new List<Measurement>();
        try
        {
            await using var dpdb = await CreateDpdbAsync(database, ct);
            using var chdb = new ChdbAnalyticsStore(new ChdbOptions { LibraryPath = BenchEnvironment.ChdbLibrary, DataPath = dataPath }, NullLogger<ChdbAnalyticsStore>.Instance);
            await new ClickHouseMigrator(chdb, NullLogger<ClickHouseMigrator>.Instance).MigrateAsync(ct);
            var objects = new FileSystemObjectStore(Path.Combine(dataPath, "objects"), NullLogger<FileSystemObjectStore>.Instance);
            var project = Guid.NewGuid();
            await using (var insert = dpdb.CreateCommand("INSERT INTO projects (id, org_id, workspace_id, name, retention_days) VALUES ($1, $2, $3, 'bench', 30)"))
            {
                insert.Parameters.AddWithValue(project);
                insert.Parameters.AddWithValue(Guid.NewGuid());
                insert.Parameters.AddWithValue(Guid.NewGuid());
                await insert.ExecuteNonQueryAsync(ct);
            }

            // 1. Ingestion baseline: the Writer's own path into ClickHouse (enrichment, payload offload, insert with its views).
            var computed = new ComputedFields(new ModelPrices(new ConfigurationBuilder().Build()));
            var writer = new EventWriter(new EventStore(chdb), computed, new LargePayloads(objects, new WriterOptions()));
            await writer.WriteAsync(Prepare(WriterRecords.Messages(project.ToString(), sessionsPerBatch, spansPerSession, seed: -1), computed), ct); // warm-up
            var messages = Enumerable.Range(0, batches).Select(b => WriterRecords.Messages(project.ToString(), sessionsPerBatch, spansPerSession, seed: b)).ToList();
            var warmRows = await CountAsync(chdb, project, ct);
            var clock = Stopwatch.StartNew();
            foreach (var batch in messages) await writer.WriteAsync(Prepare(batch, computed), ct);
            clock.Stop();
            var stored = await CountAsync(chdb, project, ct);
            var ingestRate = (stored - warmRows) / clock.Elapsed.TotalSeconds;
            results.Add(new Measurement("lifecycle.ingest", "rows/s", ingestRate, $"{stored - warmRows:N0} rows stored by the Writer in {clock.Elapsed.TotalSeconds:0.00} s"));

            // 2. Archive, then remove, every day of the project (as the sweep does, a day at a time).
            var archiver = new ProjectDayArchiver(chdb, objects, TimeProvider.System);
            var remover = new ProjectDayRemover(chdb, objects);
            var asOf = (await chdb.QueryAsync("SELECT toUnixTimestamp64Milli(now64(3)) AS now", null, ct))[0].GetProperty("now").GetInt64();
            var days = (await chdb.QueryAsync("SELECT DISTINCT toString(toDate(start_time)) AS day FROM events WHERE project_id = {p:String} ORDER BY day",
                new Dictionary<string, object?> { ["p"] = project.ToString("D") }, ct))
                .Select(r => DateOnly.ParseExact(r.GetProperty("day").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToList();
            var manifests = new List<ArchiveManifest>();
            var archiveTime = TimeSpan.Zero;
            var removeTime = TimeSpan.Zero;
            foreach (var day in days)
            {
                clock.Restart();
                var manifest = await archiver.ArchiveAsync(project, day, asOf, ct);
                archiveTime += clock.Elapsed;
                clock.Restart();
                await remover.RemoveAsync(project, day, asOf, manifest, ct);
                removeTime += clock.Elapsed;
                manifests.Add(manifest);
            }
            var archived = manifests.Sum(m => m.RowCount);
            var left = await CountAsync(chdb, project, ct);
            var archiveRate = archived / archiveTime.TotalSeconds;
            var bytesPerRow = (double)manifests.Sum(m => m.Bytes) / archived;
            results.Add(new Measurement("lifecycle.archive", "rows/s", archiveRate, $"{archived:N0} rows in {manifests.Count} Parquet file(s), {manifests.Sum(m => m.Bytes):N0} bytes, in {archiveTime.TotalSeconds:0.00} s"));
            results.Add(new Measurement("lifecycle.remove", "rows/s", archived / removeTime.TotalSeconds, $"lightweight DELETE of the archived rows; {left} rows left"));
            results.Add(new Measurement("lifecycle.parquet", "bytes/row", bytesPerRow));

            // 3. Restore every archived day through the restorer (checksum, insert, record).
            var restorer = new ArchiveRestorer(chdb, objects, archiver, dpdb, TimeProvider.System);
            clock.Restart();
            await restorer.RestoreAsync(project, days.Min(), days.Max(), ct);
            clock.Stop();
            var restored = await CountAsync(chdb, project, ct);
            var restoreRate = restored / clock.Elapsed.TotalSeconds;
            results.Add(new Measurement("lifecycle.restore", "rows/s", restoreRate, $"{restored:N0} rows stored again in {clock.Elapsed.TotalSeconds:0.00} s"));
            await restorer.RestoreAsync(project, days.Min(), days.Max(), ct);
            var afterSecond = await CountAsync(chdb, project, ct);
            results.Add(new Measurement("lifecycle.archive_over_ingest", "ratio", archiveRate / ingestRate, "goal >= 1: archival keeps up with ingestion"));

            // 4. Quotas: a quiet project's ack p99 while another floods past its limit, over its p99 alone (a Host of its own).
            NoisyNeighbourResult noisy;
            await using (var host = await HostLauncher.StartAsync(new Dictionary<string, string> { ["Quotas__OverrideCacheDuration"] = "00:00:01" }, ct))
                noisy = await new NoisyNeighbour(host).MeasureAsync(ct);
            results.Add(new Measurement("lifecycle.noisy_neighbour_p99_ratio", "ratio", noisy.Ratio,
                string.Create(CultureInfo.InvariantCulture, $"quiet p99 {noisy.QuietFloodedP99Ms:0.0} ms while flooded over {noisy.QuietAloneP99Ms:0.0} ms alone; flood answered 429 {noisy.Flood429} times, quiet refused {noisy.QuietRefused}")));

            var ok = archived == stored && left == 0 && restored == stored && afterSecond == stored && noisy.QuietRefused == 0 && noisy.Flood429 > 0;
            // The line's figures, in the issue's order.
            var figures = new List<string>
            {
                string.Create(CultureInfo.InvariantCulture, $"archive_rows_per_s={archiveRate:0}"),
                string.Create(CultureInfo.InvariantCulture, $"restore_rows_per_s={restoreRate:0}"),
                string.Create(CultureInfo.InvariantCulture, $"parquet_bytes_per_row={bytesPerRow:0.0}"),
                string.Create(CultureInfo.InvariantCulture, $"ingest_rows_per_s={ingestRate:0}"),
                string.Create(CultureInfo.InvariantCulture, $"archive_over_ingest={archiveRate / ingestRate:0.00}"),
                string.Create(CultureInfo.InvariantCulture, $"noisy_neighbour_p99_ratio={noisy.Ratio:0.00}"),
                $"quiet_refused={noisy.QuietRefused}", $"flood_429={noisy.Flood429}",
                $"read_back={(ok ? "ok" : "MISMATCH")}",
            };
            if (!ok)
                Console.WriteLine($"# MISMATCH: stored {stored}, archived {archived}, left after removal {left}, restored {restored}, after a second restore {afterSecond}; quiet refused {noisy.QuietRefused}, flood 429s {noisy.Flood429}");
            await ResultFile.PublishAsync("lifecycle", startedAt, results, "lifecycle: " + string.Join(' ', figures), ct);
            return ok ? 0 : 1;
        }
        finally
        {
            if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
            await DropDpdbAsync(database);
        }
    }

    private static List<EventRow> Prepare(IReadOnlyList<IncomingMessage> messages, ComputedFields computed) =>
        IncomingEvents.ParseAndEnrich(messages, computed).SelectMany(p => p.Error is null ? p.Events : throw new InvalidOperationException(p.Error)).ToList();

    /// <summary>Rows stored for the project, every revision (no FINAL): a duplicate counts.</summary>
    private static async Task<long> CountAsync(IAnalyticsStore store, Guid project, CancellationToken ct) =>
        (await store.QueryAsync("SELECT count() AS n FROM events WHERE project_id = {p:String}",
            new Dictionary<string, object?> { ["p"] = project.ToString("D") }, ct))[0].GetProperty("n").GetInt64();

    private static async Task<NpgsqlDataSource> CreateDpdbAsync(string database, CancellationToken ct)
    {
        var server = Environment.GetEnvironmentVariable("HH_TEST_PG")!;
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        var dpdb = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString);
        await PostgresMigrator.MigrateAsync(dpdb, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, ct);
        return dpdb;
    }

    private static async Task DropDpdbAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("HH_TEST_PG"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
