using System.Globalization;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// Events rows written straight into <c>events</c> as JSONEachRow, as the Writer does: project A
/// holds a small trace with revisions and a tombstone, a session to delete and 250 spans to page
/// through; project B one session; project C the 50,000 rows the export streams.
/// </summary>
public static class SeedData
{
    public const string Session1 = "a0000000-0000-4000-8000-000000000001";
    public const string Chain = "a0000000-0000-4000-8000-0000000000c1";
    public const string Model1 = "a0000000-0000-4000-8000-0000000000a1";
    public const string Model2 = "a0000000-0000-4000-8000-0000000000a2";
    public const string Tool1 = "a0000000-0000-4000-8000-0000000000b1";
    public const string DeletedTool = "a0000000-0000-4000-8000-0000000000b2";
    public const string SessionToDelete = "a0000000-0000-4000-8000-000000000002";
    public const string PagedSession = "a0000000-0000-4000-8000-000000000003";
    public const int PagedSpans = 250;
    public const string SessionB = "b0000000-0000-4000-8000-000000000001";
    public const string EventB = "b0000000-0000-4000-8000-0000000000a1";
    public const string SessionC = "c0000000-0000-4000-8000-000000000001";

    public const ulong V1 = 1UL << 32;
    public const ulong V2 = 2UL << 32;

    public static readonly DateTime Base = new(2026, 1, 15, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// A dateRange that reaches every seeded event: the event routes read the last 7 days unless the request names a
    /// range, and these events are from January 2026, so the tests that read them say so.
    /// </summary>
    public static readonly object AllTime = new { start_time = "1970-01-01T00:00:00Z" };

    /// <summary><see cref="AllTime"/> as a query string value (GET /events, GET /v1/events/chart).</summary>
    public static readonly string AllTimeQuery = Uri.EscapeDataString("{\"start_time\":\"1970-01-01T00:00:00Z\"}");

    public static async Task InsertAsync(IAnalyticsStore store)
    {
        var a = Tenants.A.ProjectId.ToString();
        var b = Tenants.B.ProjectId.ToString();
        var rows = new List<Dictionary<string, object?>>
        {
            Row(a, Session1, Session1, "", "session", "chat-session", 0, 6000, metadata: new { customer = "acme" }, userProperties: new { user_id = "u1" }),
            Row(a, Session1, Chain, Session1, "chain", "plan", 0.1, 5000, inputs: new { question = "What's 'DROP TABLE' x; --?" }),
            // The stale first revision of Model1: a filter matching only it must not find the event.
            Row(a, Session1, Model1, Chain, "model", "llm-call", 0.2, 1000, metadata: new { model = "stale-model" }, version: V1),
            Row(a, Session1, Model1, Chain, "model", "llm-call", 0.2, 1000,
                metadata: new { model = "gpt-4o", cost = 0.01, total_tokens = 100, prompt_tokens = 60, completion_tokens = 40, usage = new { total = 100, kind = "chat" }, when = "2026-01-02T03:04:05Z" },
                metrics: new { score = 0.9, passed = true }, feedback: new { rating = 5 },
                config: new { @params = new { temperature = 0.7 } }, version: V2),
            Row(a, Session1, Tool1, Chain, "tool", "search-tool", 1.5, 200, outputs: new { hits = 3 }, metadata: new { when = "2026-03-01T00:00:00Z" }),
            Row(a, Session1, Model2, Session1, "model", "llm-call", 3, 3000,
                metadata: new { model = "claude", cost = 0.02, total_tokens = 50 }, metrics: new { score = 0.2, passed = false }, error: "boom"),
            Row(a, Session1, DeletedTool, Chain, "tool", "deleted-tool", 2, 100),
            Row(a, Session1, DeletedTool, Chain, "tool", "deleted-tool", 2, 100, version: V2, deleted: 1),
            Row(a, SessionToDelete, SessionToDelete, "", "session", "doomed", 3600, 10),
            Row(a, SessionToDelete, "a0000000-0000-4000-8000-0000000002a1", SessionToDelete, "model", "doomed-call", 3600, 5),
            Row(b, SessionB, SessionB, "", "session", "b-session", 0, 100, metadata: new { model = "gpt-4o" }),
            Row(b, SessionB, EventB, SessionB, "model", "llm-call", 0.5, 50, metadata: new { model = "gpt-4o" }),
            Row(a, PagedSession, PagedSession, "", "session", "paged", 7200, 1000),
        };
        for (var i = 0; i < PagedSpans; i++)
            rows.Add(Row(a, PagedSession, $"a0000000-0000-4000-8000-3{i:D11}", PagedSession, "tool", "paged-tool", 7201 + i, 1, metadata: new { index = i }));
        await store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
        await FieldCatalogueAsync(store, [a, b]);

        var c = Tenants.C.ProjectId.ToString();
        for (var batch = 0; batch < ApiFixture.ExportRows; batch += 10_000)
        {
            var bulk = new List<Dictionary<string, object?>>(10_000);
            for (var i = batch; i < batch + 10_000; i++)
                bulk.Add(Row(c, SessionC, $"c0000000-0000-4000-8000-{i:D12}", SessionC, "tool", "bulk", i * 0.001, 1,
                    inputs: new { text = "row " + i.ToString(CultureInfo.InvariantCulture) + " " + new string('x', 200) }));
            await store.InsertJsonEachRowAsync("events", Encode(bulk), CancellationToken.None);
        }
    }

    /// <summary>
    /// The Writer fills event_schemas per batch (migration 0007); rows seeded straight into events get their
    /// catalogue here, from 0003's view definition run once as INSERT ... SELECT over the seeded projects.
    /// </summary>
    private static async Task FieldCatalogueAsync(IAnalyticsStore store, string[] projects)
    {
        var script = ClickHouseMigrator.LoadScripts().Single(s => s.Name == "0003_event_schemas.sql");
        var view = SqlStatements.Split(script.Sql).Single(s => s.Contains("CREATE MATERIALIZED VIEW", StringComparison.Ordinal));
        var select = view[view.IndexOf("SELECT", StringComparison.Ordinal)..]
            .Replace("WHERE is_deleted = 0", "WHERE is_deleted = 0 AND project_id IN {projects:Array(String)}", StringComparison.Ordinal);
        await store.ExecuteAsync("INSERT INTO event_schemas " + select, new Dictionary<string, object?> { ["projects"] = projects }, CancellationToken.None);
    }

    internal static Dictionary<string, object?> Row(
        string project, string session, string id, string parent, string type, string name, double startSeconds, double durationMs,
        object? inputs = null, object? outputs = null, object? config = null, object? metadata = null, object? metrics = null,
        object? feedback = null, object? userProperties = null, string? error = null, ulong version = V1, int deleted = 0)
    {
        var start = Base.AddSeconds(startSeconds);
        return new Dictionary<string, object?>
        {
            ["event_id"] = id, ["project_id"] = project, ["org_id"] = Tenants.A.OrgId.ToString(), ["workspace_id"] = Tenants.A.WorkspaceId.ToString(),
            ["session_id"] = session, ["parent_id"] = parent, ["children_ids"] = Array.Empty<string>(), ["event_type"] = type, ["event_name"] = name,
            ["source"] = "test", ["start_time"] = Time(start), ["end_time"] = Time(start.AddMilliseconds(durationMs)), ["duration"] = durationMs,
            ["error"] = error, ["inputs"] = Bucket(inputs), ["outputs"] = Bucket(outputs), ["config"] = Bucket(config), ["metadata"] = Bucket(metadata),
            ["metrics"] = Bucket(metrics), ["feedback"] = Bucket(feedback), ["user_properties"] = Bucket(userProperties),
            ["version"] = version, ["is_deleted"] = deleted,
        };
    }

    /// <summary>A bucket as the schema stores it: each top-level key mapped to its value's JSON text.</summary>
    private static Dictionary<string, string> Bucket(object? value) =>
        value is null ? [] : JsonSerializer.SerializeToElement(value).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());

    private static string Time(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    internal static ReadOnlyMemory<byte> Encode(IEnumerable<Dictionary<string, object?>> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows) text.Append(JsonSerializer.Serialize(row)).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
