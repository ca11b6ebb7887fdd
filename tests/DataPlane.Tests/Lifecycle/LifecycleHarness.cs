using System.Globalization;
using System.Text;
using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.DataPlane.Tests.Lifecycle;

/// <summary>
/// The lifecycle parts over the process's chDB, a fresh dpdb and a given object store, at a clock the test moves.
/// Each test uses projects of its own (fresh ids), so the shared chDB's other rows never count.
/// </summary>
public sealed class LifecycleHarness : IAsyncDisposable
{
    /// <summary>Noon UTC, so "N days ago" is mid-day and the day boundaries are the test's to place.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 15, 12, 0, 0, TimeSpan.Zero);

    private LifecycleHarness(IAnalyticsStore store, IObjectStore objects, FreshDpdb dpdb, LifecycleOptions options)
    {
        Store = store;
        Objects = objects;
        Dpdb = dpdb;
        var wrapped = Options.Create(options);
        Archiver = new ProjectDayArchiver(store, objects, Clock);
        Remover = new ProjectDayRemover(store, objects);
        Restorer = new ArchiveRestorer(store, objects, Archiver, dpdb.DataSource, Clock);
        Sweeper = new RetentionSweeper(store, objects, Archiver, Remover, dpdb.DataSource, wrapped, Clock, NullLogger<RetentionSweeper>.Instance);
    }

    public IAnalyticsStore Store { get; }
    public IObjectStore Objects { get; }
    public FreshDpdb Dpdb { get; }
    public NpgsqlDataSource DataSource => Dpdb.DataSource;
    public ManualClock Clock { get; } = new(Now);
    public ProjectDayArchiver Archiver { get; }
    public ProjectDayRemover Remover { get; }
    public ArchiveRestorer Restorer { get; }
    public RetentionSweeper Sweeper { get; }

    public static async Task<LifecycleHarness> CreateAsync(IObjectStore objects, LifecycleOptions? options = null)
    {
        var store = await SharedChdb.GetAsync("chdb");
        var dpdb = await FreshDpdb.CreateAsync("lifecycle");
        return new LifecycleHarness(store, objects, dpdb, options ?? new LifecycleOptions());
    }

    /// <summary>A project on this data plane with the given retention.</summary>
    public async Task<Guid> ProjectAsync(int retentionDays, Guid? id = null)
    {
        var project = id ?? Guid.NewGuid();
        await using var insert = DataSource.CreateCommand(
            "INSERT INTO projects (id, org_id, workspace_id, name, retention_days) VALUES ($1, $2, $3, $4, $5)");
        insert.Parameters.AddWithValue(project);
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue("p-" + project.ToString("N")[..8]);
        insert.Parameters.AddWithValue(retentionDays);
        await insert.ExecuteNonQueryAsync();
        return project;
    }

    /// <summary>
    /// Inserts events of <paramref name="project"/> starting at the given times (each its own session with a model
    /// child: two rows a start), as the Writer writes rows, and with <paramref name="revisions"/> a second revision of
    /// each model event in an insert of its own; returns the event ids.
    /// </summary>
    /// <remarks>
    /// Tests that count stored rows use no revisions: ClickHouse may merge two revisions into one at any moment.
    /// </remarks>
    public async Task<List<string>> InsertEventsAsync(Guid project, IEnumerable<DateTimeOffset> starts, bool revisions = false)
    {
        var rows = new List<Dictionary<string, object?>>();
        var later = new List<Dictionary<string, object?>>();
        var ids = new List<string>();
        foreach (var start in starts)
        {
            var session = Guid.NewGuid().ToString();
            var model = Guid.NewGuid().ToString();
            rows.Add(Row(project, session, session, "", "session", "chat", start, 2000, new() { ["question"] = "\"why\"" }, 1UL << 32));
            rows.Add(Row(project, session, model, session, "model", "llm", start.AddMilliseconds(5), 900,
                new() { ["prompt"] = JsonSerializer.Serialize("hello " + model), ["n"] = "3" }, 1UL << 32));
            // A later revision of the same model event: both revisions are rows, and both must come back. Inserted apart,
            // as the Writer does: ReplacingMergeTree collapses the revisions inside one inserted block (optimize_on_insert).
            if (revisions) later.Add(Row(project, session, model, session, "model", "llm", start.AddMilliseconds(5), 950,
                new() { ["prompt"] = JsonSerializer.Serialize("hello " + model), ["n"] = "4" }, 2UL << 32));
            ids.Add(session);
            ids.Add(model);
        }
        await Store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
        if (later.Count > 0) await Store.InsertJsonEachRowAsync("events", Encode(later), CancellationToken.None);
        return ids;
    }

    /// <summary>An event whose inputs were moved to the object store (as the Writer's LargePayloads does); returns the payload key.</summary>
    public async Task<string> InsertEventWithPayloadAsync(Guid project, DateTimeOffset start)
    {
        var id = Guid.NewGuid().ToString();
        var version = 1UL << 32;
        var key = PayloadReference.KeyFor(project.ToString("D"), id, version, "inputs");
        using (var content = new MemoryStream(Encoding.UTF8.GetBytes("{\"document\":\"" + new string('x', 2000) + "\"}")))
            await Objects.PutAsync(key, content, CancellationToken.None);
        var inputs = new Dictionary<string, string>
        {
            ["document"] = "\"xxx…\"",
            [PayloadReference.MarkerKey] = JsonSerializer.Serialize(new PayloadReference(key, 2016)),
        };
        await Store.InsertJsonEachRowAsync("events", Encode([Row(project, id, id, "", "session", "big", start, 10, inputs, version)]), CancellationToken.None);
        return key;
    }

    /// <summary>
    /// The project's rows as reads see them (FINAL: each event's current revision), every column (inserted_at included),
    /// as JSON text in a stable order.
    /// </summary>
    public async Task<List<string>> RowsAsync(Guid project)
    {
        var rows = await Store.QueryAsync(
            "SELECT * FROM events FINAL WHERE project_id = {p:String} ORDER BY event_id, version",
            new Dictionary<string, object?> { ["p"] = project.ToString("D") }, CancellationToken.None);
        return [.. rows.Select(r => r.GetRawText())];
    }

    /// <summary>Every stored row of the project, without FINAL: a row inserted twice counts twice.</summary>
    public async Task<long> StoredRowsAsync(Guid project) =>
        (await Store.QueryAsync("SELECT count() AS n FROM events WHERE project_id = {p:String}",
            new Dictionary<string, object?> { ["p"] = project.ToString("D") }, CancellationToken.None))[0].GetProperty("n").GetInt64();

    /// <summary>Rows of the project per UTC day as reads see them (FINAL), counted back from ClickHouse.</summary>
    public async Task<Dictionary<string, long>> CountByDayAsync(Guid project, string table = "events")
    {
        var rows = await Store.QueryAsync(
            $"SELECT toString(toDate(start_time)) AS day, count() AS n FROM {table} FINAL WHERE project_id = {{p:String}} GROUP BY day",
            new Dictionary<string, object?> { ["p"] = project.ToString("D") }, CancellationToken.None);
        return rows.ToDictionary(r => r.GetProperty("day").GetString()!, r => r.GetProperty("n").GetInt64());
    }

    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var key in Objects.ListAsync(prefix, CancellationToken.None)) keys.Add(key);
        return keys;
    }

    public static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> Row(
        Guid project, string session, string id, string parent, string type, string name, DateTimeOffset start, double durationMs,
        Dictionary<string, string> inputs, ulong version) => new()
    {
        ["event_id"] = id, ["project_id"] = project.ToString("D"), ["org_id"] = "o", ["workspace_id"] = "w",
        ["session_id"] = session, ["parent_id"] = parent, ["children_ids"] = Array.Empty<string>(), ["event_type"] = type, ["event_name"] = name,
        ["source"] = "test", ["start_time"] = Time(start), ["end_time"] = Time(start.AddMilliseconds(durationMs)), ["duration"] = durationMs,
        ["error"] = null, ["inputs"] = inputs, ["outputs"] = new Dictionary<string, string> { ["answer"] = "\"42\"" },
        ["metadata"] = new Dictionary<string, string> { ["cost"] = "0.01", ["model"] = "\"gpt\"" },
        ["version"] = version, ["is_deleted"] = 0,
    };

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static ReadOnlyMemory<byte> Encode(IEnumerable<Dictionary<string, object?>> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows) text.Append(JsonSerializer.Serialize(row)).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public async ValueTask DisposeAsync() => await Dpdb.DisposeAsync();
}
