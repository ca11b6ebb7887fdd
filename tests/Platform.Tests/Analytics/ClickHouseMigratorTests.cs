using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Analytics;

[Collection(ChdbCollection.Name)]
public sealed class ClickHouseMigratorTests(ChdbFixture fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly IAnalyticsStore store = fixture.Store;
    private readonly ClickHouseMigrator migrator = new(fixture.Store, NullLogger<ClickHouseMigrator>.Instance);

    private static readonly string[] SchemaObjects =
    [
        "events", "session_aggregates", "session_aggregates_mv", "event_schemas",
        "project_event_details", "project_event_details_mv", "session_bounds", "session_bounds_mv",
        "events_by_time", "events_by_time_mv", "schema_migrations",
    ];

    // Written out here, not read from the migrator: a script that is not embedded (or not applied) must fail the tests.
    private static readonly string[] Scripts =
    [
        "0001_events.sql", "0002_session_aggregates.sql", "0003_event_schemas.sql", "0004_project_event_details.sql",
        "0005_session_aggregates_client_rows.sql", "0006_events_typed_columns.sql", "0007_event_schemas_from_writer.sql",
        "0008_session_bounds.sql", "0009_events_by_time.sql",
    ];

    [Fact]
    public void The_embedded_scripts_are_numbered_and_ordered()
    {
        var scripts = ClickHouseMigrator.LoadScripts();
        Assert.Equal(Scripts, scripts.Select(s => s.Name));
        Assert.All(scripts, s => Assert.Equal(64, s.Checksum.Length));
    }

    [Fact]
    public async Task Migrating_twice_leaves_the_same_schema_and_records_each_script_once()
    {
        await migrator.MigrateAsync(None);
        var first = await SnapshotAsync();
        var again = await migrator.MigrateAsync(None);
        var second = await SnapshotAsync();

        Assert.Empty(again);
        Assert.Equal(first, second);
        foreach (var name in SchemaObjects) Assert.Contains($"table {name} ", first, StringComparison.Ordinal);
        Assert.Contains("table events ReplacingMergeTree", first, StringComparison.Ordinal);
        Assert.Contains("column events.start_time DateTime64(6, 'UTC')", first, StringComparison.Ordinal);

        var recorded = await store.QueryAsync("SELECT version, name, count() AS n FROM schema_migrations GROUP BY version, name ORDER BY version", null, None);
        Assert.Equal(Scripts, recorded.Select(r => r.GetProperty("name").GetString()));
        Assert.All(recorded, r => Assert.Equal(1, r.GetProperty("n").GetInt32()));
    }

    [Fact]
    public void Statements_are_split_at_semicolons_outside_quotes_and_comments()
    {
        var statements = SqlStatements.Split("""
            -- leading comment; with a semicolon
            CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory;
            /* block; comment */ SELECT 'it\'s; fine', `we;ird`;
            -- trailing comment only
            """);
        Assert.Equal(2, statements.Count);
        Assert.EndsWith("ENGINE = Memory", statements[0], StringComparison.Ordinal);
        Assert.EndsWith("`we;ird`", statements[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inserting_events_feeds_the_aggregate_tables_through_their_views()
    {
        await migrator.MigrateAsync(None);
        var project = "p-" + Guid.NewGuid().ToString("N");
        var rows = string.Join('\n',
            EventRow(project, "s1", "s1", "", "session", "chat-session", ClientRevision, metadata: new() { ["user"] = "\"ann\"" }),
            EventRow(project, "s1", "e1", "s1", "model", "openai.chat", ClientRevision,
                metadata: new() { ["prompt_tokens"] = "10", ["completion_tokens"] = "5", ["total_tokens"] = "15", ["cost"] = "0.25", ["model"] = "\"gpt-4o\"", ["usage"] = """{"total_tokens":15,"cached":false}""" },
                feedback: new() { ["rating"] = "5" }),
            EventRow(project, "s1", "e2", "s1", "tool", "search", ClientRevision, error: "timeout",
                metadata: new() { ["prompt_tokens"] = "1", ["cost"] = "0.5" }),
            EventRow(project, "s2", "s2", "", "session", "other-session", ClientRevision));
        await store.InsertJsonEachRowAsync("events", Encoding.UTF8.GetBytes(rows), None);

        var sessions = await store.QueryAsync("""
            SELECT session_id, max(session_name) AS name, uniqExactMerge(event_count) AS events,
                   uniqExactIfMerge(model_event_count) AS models, uniqExactIfMerge(error_count) AS errors,
                   sum(prompt_tokens) AS prompt, sum(total_tokens) AS total, sum(cost) AS cost,
                   max(has_feedback) AS feedback, min(start_time) AS started
            FROM session_aggregates WHERE project_id = {p:String} GROUP BY session_id ORDER BY session_id
            """, new Dictionary<string, object?> { ["p"] = project }, None);
        Assert.Equal(2, sessions.Count);
        var s1 = sessions[0];
        Assert.Equal("chat-session", s1.GetProperty("name").GetString());
        Assert.Equal(3, s1.GetProperty("events").GetInt32());
        Assert.Equal(1, s1.GetProperty("models").GetInt32());
        Assert.Equal(1, s1.GetProperty("errors").GetInt32());
        Assert.Equal(10, s1.GetProperty("prompt").GetDouble()); // model events only, as HoneyHive rolls tokens up
        Assert.Equal(15, s1.GetProperty("total").GetDouble());
        Assert.Equal(0.75, s1.GetProperty("cost").GetDouble(), 6);
        Assert.Equal(1, s1.GetProperty("feedback").GetInt32());
        Assert.Equal("2026-11-27 10:00:00.000000", s1.GetProperty("started").GetString());
        Assert.Equal(0, sessions[1].GetProperty("feedback").GetInt32());

        // event_schemas has no view since 0008: the Writer writes it (tests/Writer.Tests/EventSchemaTests).
        var fields = await store.QueryAsync("SELECT toInt32(count()) AS n FROM event_schemas WHERE project_id = {p:String}",
            new Dictionary<string, object?> { ["p"] = project }, None);
        Assert.Equal(0, fields[0].GetProperty("n").GetInt32());

        var details = await store.QueryAsync("""
            SELECT event_type, event_name, sum(event_count) AS n FROM project_event_details
            WHERE project_id = {p:String} GROUP BY event_type, event_name ORDER BY event_type, event_name
            """, new Dictionary<string, object?> { ["p"] = project }, None);
        Assert.Equal(["model:openai.chat:1", "session:chat-session:1", "session:other-session:1", "tool:search:1"],
            details.Select(d => $"{d.GetProperty("event_type").GetString()}:{d.GetProperty("event_name").GetString()}:{d.GetProperty("n").GetInt32()}"));
    }

    [Fact]
    public async Task A_newer_revision_replaces_an_event_and_a_tombstone_hides_it_under_FINAL()
    {
        await migrator.MigrateAsync(None);
        var project = "p-" + Guid.NewGuid().ToString("N");
        await store.InsertJsonEachRowAsync("events", Encoding.UTF8.GetBytes(string.Join('\n',
            EventRow(project, "s", "a", "", "chain", "first", 1),
            EventRow(project, "s", "b", "", "chain", "keep", 1))), None);
        await store.InsertJsonEachRowAsync("events", Encoding.UTF8.GetBytes(string.Join('\n',
            EventRow(project, "s", "a", "", "chain", "renamed", 2),
            EventRow(project, "s", "b", "", "chain", "keep", 2, deleted: true))), None);

        var current = await store.QueryAsync(
            "SELECT event_id, event_name, version FROM events FINAL WHERE project_id = {p:String} AND is_deleted = 0 ORDER BY event_id",
            new Dictionary<string, object?> { ["p"] = project }, None);
        var row = Assert.Single(current);
        Assert.Equal("a", row.GetProperty("event_id").GetString());
        Assert.Equal("renamed", row.GetProperty("event_name").GetString());
        Assert.Equal(2, row.GetProperty("version").GetInt32());
    }

    /// <summary>A client-written row as the Writer stores it: revision 0 at version 1 &lt;&lt; 32 (derived rows add 1).</summary>
    private const ulong ClientRevision = 1UL << 32;

    private static string EventRow(
        string project, string session, string id, string parent, string type, string name, ulong version,
        Dictionary<string, string>? metadata = null, Dictionary<string, string>? feedback = null, string? error = null, bool deleted = false) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["event_id"] = id,
            ["project_id"] = project,
            ["org_id"] = "org",
            ["workspace_id"] = "ws",
            ["session_id"] = session,
            ["parent_id"] = parent,
            ["children_ids"] = Array.Empty<string>(),
            ["event_type"] = type,
            ["event_name"] = name,
            ["source"] = "test",
            ["start_time"] = "2026-11-27 10:00:00.000000",
            ["end_time"] = "2026-11-27 10:00:01.500000",
            ["duration"] = 1500.0,
            ["error"] = error,
            ["inputs"] = new Dictionary<string, string> { ["query"] = "\"hi\"" },
            ["outputs"] = new Dictionary<string, string>(),
            ["config"] = new Dictionary<string, string>(),
            ["metadata"] = metadata ?? new Dictionary<string, string>(),
            ["metrics"] = new Dictionary<string, string>(),
            ["feedback"] = feedback ?? new Dictionary<string, string>(),
            ["user_properties"] = new Dictionary<string, string>(),
            ["version"] = version,
            ["is_deleted"] = deleted ? 1 : 0,
        });

    /// <summary>Every table and column the schema defines, one line each, in a stable order.</summary>
    private async Task<string> SnapshotAsync()
    {
        var tables = await store.QueryAsync(
            "SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)} ORDER BY name",
            new Dictionary<string, object?> { ["names"] = SchemaObjects }, None);
        var columns = await store.QueryAsync(
            "SELECT table, name, type, default_kind, default_expression, position FROM system.columns WHERE database = currentDatabase() AND table IN {names:Array(String)} ORDER BY table, position",
            new Dictionary<string, object?> { ["names"] = SchemaObjects }, None);
        var builder = new StringBuilder();
        foreach (var t in tables)
            builder.Append("table ").Append(t.GetProperty("name").GetString()).Append(' ').Append(t.GetProperty("engine").GetString())
                .Append(' ').AppendLine(t.GetProperty("create_table_query").GetString());
        foreach (var c in columns)
            builder.Append("column ").Append(c.GetProperty("table").GetString()).Append('.').Append(c.GetProperty("name").GetString())
                .Append(' ').Append(c.GetProperty("type").GetString()).Append(' ').Append(c.GetProperty("default_kind").GetString())
                .Append(' ').AppendLine(c.GetProperty("default_expression").GetString());
        return builder.ToString();
    }
}
