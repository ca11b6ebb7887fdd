using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// The Writer fills <c>event_schemas</c> itself (migration 0007 dropped the view of 0003). The expectation
/// is the old view itself: each test re-creates 0003's view over its own project into a table of its own,
/// so every insert into <c>events</c> feeds both, and the two must hold the same rows.
/// </summary>
[Collection(WriterCollection.Name)]
public sealed class EventSchemaTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    [Fact]
    public async Task The_catalogue_holds_the_rows_the_view_produced_for_the_same_inserts()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        await using var view = await OldViewAsync(writer.ProjectId);
        var session = Guid.NewGuid().ToString();
        await writer.PublishAsync(
            writer.Event(session, "session", T0, T0 + 10, e => e.Metadata["user"] = "ann"),
            writer.Event(session, "model", T0 + 1, T0 + 5, e =>
            {
                e.Config["model"] = "gpt-4o";
                e.Config["params"] = WriterHarness.Json(new { temperature = 0.5, stop = new[] { "\n" }, nested = new { deep = 1 } });
                e.Metadata["prompt_tokens"] = 10;
                e.Metadata["completion_tokens"] = 5;
                e.Metadata["usage"] = WriterHarness.Json(new { total = 15, cached = false, note = (string?)null, big = 18446744073709551615UL, neg = -3 });
                e.Metadata["ratio"] = 1.5;
                e.Metadata["big"] = 9223372036854775808UL;
                e.Metadata["tags"] = WriterHarness.Json(new[] { "a", "b" });
                e.Metadata["clé.été"] = "non-ASCII key with a dot";
                e.Feedback["rating"] = 5;
                e.Outputs["content"] = "hello";
            }),
            writer.Event(session, "tool", T0 + 6, T0 + 7, e => { e.Metadata["cost"] = 0.25; e.Inputs["query"] = WriterHarness.Json(new { q = "x", n = 2 }); }));
        // Children of a session that is created for them (session_auto_create): roll-up rows the Writer derives.
        var auto = Guid.NewGuid().ToString();
        await writer.PublishAsync(
            writer.Event(auto, "model", T0 + 100, T0 + 200, e => { e.SessionAutoCreate = true; e.Metadata["prompt_tokens"] = 3; }),
            writer.Event(auto, "chain", T0 + 50, T0 + 300, e => e.UserProperties["user_id"] = "u1"));
        await writer.WaitForAsync(r => r.Count == 6 && r.Where(x => x.IsSession).All(x => x.Metadata.ContainsKey("num_events")), "both sessions rolled up");

        // The catalogue is written after the batch's last insert into events: once it holds the auto-created
        // session's roll-up fields, the view has seen every insert.
        var catalogue = await Eventually.ValueAsync(() => ReadAsync("event_schemas", writer.ProjectId),
            c => c.Any(f => f.StartsWith("session|Session|metadata.num_events|", StringComparison.Ordinal)) && c.Any(f => f.StartsWith("session|session-event|metadata.num_events|", StringComparison.Ordinal)),
            "the catalogue rows of both sessions");
        Assert.Equal(await ReadAsync(view.Table, writer.ProjectId), catalogue);
        // Not an empty comparison: the types ClickHouse's JSONType names, one level down included.
        Assert.Contains(catalogue, f => f.Contains("|metadata.usage.big|UInt64|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.Contains("|metadata.big|UInt64|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.Contains("|metadata.ratio|Double|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.Contains("|metadata.usage.neg|Int64|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.Contains("|config.params.stop|Array|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.Contains("|metadata.usage.note|Null|", StringComparison.Ordinal));
        Assert.Contains(catalogue, f => f.StartsWith("session|Session|metadata.num_events|Int64|", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"text\"")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("9223372036854775807")]
    [InlineData("9223372036854775808")]
    [InlineData("18446744073709551615")]
    [InlineData("-9223372036854775808")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("-0.0")]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"a\":1}")]
    public async Task A_value_gets_the_type_name_ClickHouse_JSONType_gives_it(string json)
    {
        var rows = await chdb.Store.QueryAsync("SELECT toString(JSONType({v:String})) AS t", new Dictionary<string, object?> { ["v"] = json }, CancellationToken.None);
        Assert.Equal(rows[0].GetProperty("t").GetString(), EventSchemaBatch.JsonType(json));
    }

    [Fact]
    public async Task A_redelivered_batch_adds_nothing_twice_to_the_catalogue()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        await using var view = await OldViewAsync(writer.ProjectId);
        var session = Guid.NewGuid().ToString();
        var events = new[]
        {
            writer.Event(session, "session", T0, T0 + 10),
            writer.Event(session, "model", T0 + 1, T0 + 5, e => e.Metadata["model"] = "gpt-4o"),
            writer.Event(session, "tool", T0 + 2, T0 + 3, e => e.Metadata["hits"] = 3),
        };
        var publisher = writer.Services.GetRequiredService<IEventPublisher>();
        await publisher.PublishAsync(writer.Message(events, writer.Topic + "-first"), CancellationToken.None);
        await writer.WaitForAsync(r => r.Count == 3 && r.Single(x => x.IsSession).Metadata.ContainsKey("num_events"), "the first delivery");
        await Eventually.ValueAsync(() => ReadAsync("event_schemas", writer.ProjectId), c => c.Any(f => f.Contains("|metadata.hits|")), "the first catalogue rows");
        var first = await ReadAsync("event_schemas", writer.ProjectId);

        // The same events again under another message id (the message log cannot catch it), then a marker behind them.
        await publisher.PublishAsync(writer.Message(events, writer.Topic + "-second"), CancellationToken.None);
        await writer.PublishAsync(writer.Event(session, "chain", T0 + 4, T0 + 5, eventId: "marker-" + session));
        await writer.WaitForAsync(r => r.Count == 4 && r.Single(x => x.IsSession).Metadata.GetValueOrDefault("num_events") == "3", "the marker, rolled up");

        var expected = await ReadAsync(view.Table, writer.ProjectId);
        var catalogue = await Eventually.ValueAsync(() => ReadAsync("event_schemas", writer.ProjectId), c => c.SequenceEqual(expected), "the catalogue equal to the view's rows");
        // The children's fields were counted once: the redelivery inserted none of them again.
        Assert.Equal(first.Where(f => f.StartsWith("model|", StringComparison.Ordinal)), catalogue.Where(f => f.StartsWith("model|", StringComparison.Ordinal)));
        Assert.Equal(first.Where(f => f.StartsWith("tool|", StringComparison.Ordinal)), catalogue.Where(f => f.StartsWith("tool|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_catalogue_insert_that_fails_once_is_retried_without_counting_the_events_twice()
    {
        await using var writer = await WriterHarness.StartAsync(chdb);
        await using var view = await OldViewAsync(writer.ProjectId);
        writer.Store.FailInsertsInto("event_schemas", 1);
        var session = Guid.NewGuid().ToString();
        await writer.PublishAsync(
            writer.Event(session, "session", T0, T0 + 10),
            writer.Event(session, "model", T0 + 1, T0 + 5, e => e.Metadata["model"] = "gpt-4o"));
        await writer.WaitForAsync(r => r.Count == 2 && r.Single(x => x.IsSession).Metadata.ContainsKey("num_events"), "the session rolled up");

        // The catalogue is written last, after the retry's roll-up: once it is there, the view has seen every insert.
        await Eventually.ValueAsync(() => ReadAsync("event_schemas", writer.ProjectId), c => c.Count > 0, "the catalogue rows");
        var expected = await ReadAsync(view.Table, writer.ProjectId);
        Assert.Equal(expected, await ReadAsync("event_schemas", writer.ProjectId));
        var catalogue = await ReadAsync("event_schemas", writer.ProjectId);
        Assert.True(writer.Store.Failed >= 1);
        Assert.Contains(catalogue, f => f.StartsWith("model|model-event|metadata.model|String|1|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_batch_whose_insert_fails_and_cannot_be_dead_lettered_is_not_acknowledged()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, start: false, objects: new RefusingObjectStore());
        writer.Store.FailInsertsInto("events", int.MaxValue);
        var session = Guid.NewGuid().ToString();
        var message = writer.Message([writer.Event(session, "session", T0, T0 + 10), writer.Event(session, "tool", T0 + 1, T0 + 2)]);
        var incoming = new IncomingMessage(message.Topic, message.Id, message.Data, DeliveryCount: 1);
        await using var scope = writer.Services.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(writer.Consumer);

        // Returning is what acks a batch (IBatchHandler): it must throw, so the message log redelivers it.
        await Assert.ThrowsAnyAsync<Exception>(() => handler.HandleAsync([incoming], CancellationToken.None));
        writer.Store.FailInsertsInto("events", 0);
        Assert.Empty(await writer.ReadAsync());
        Assert.Empty(await ReadAsync("event_schemas", writer.ProjectId));
    }

    /// <summary>The catalogue as "type|name|field|field_type|occurrences|first|last" lines, sorted.</summary>
    private async Task<List<string>> ReadAsync(string table, string project)
    {
        var rows = await chdb.Store.QueryAsync(
            $"""
            SELECT event_type, event_name, field, field_type, toString(sum(occurrences)) AS n,
                   toString(min(first_seen)) AS first, toString(max(last_seen)) AS last
            FROM {table} WHERE project_id = {"{project:String}"}
            GROUP BY event_type, event_name, field, field_type
            """,
            new Dictionary<string, object?> { ["project"] = project }, CancellationToken.None);
        return rows.Select(r => string.Join('|', new[] { "event_type", "event_name", "field", "field_type", "n", "first", "last" }.Select(c => r.GetProperty(c).GetString())))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>0003's view, as it was, over one project into a table of its own; dropped on dispose.</summary>
    private async Task<OldView> OldViewAsync(string project)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var view = new OldView(chdb.Store, "event_schemas_expected_" + suffix, "event_schemas_mv_" + suffix);
        var script = ClickHouseMigrator.LoadScripts().Single(s => s.Name == "0003_event_schemas.sql");
        var create = SqlStatements.Split(script.Sql).Single(s => s.Contains("CREATE MATERIALIZED VIEW", StringComparison.Ordinal));
        Assert.Contains("event_schemas_mv TO event_schemas AS", create, StringComparison.Ordinal);
        Assert.Contains("WHERE is_deleted = 0", create, StringComparison.Ordinal);
        // Test-made names and a project id of hex digits: nothing user-supplied reaches the SQL.
        Assert.Matches("^project-[0-9a-f]+$", project);
        create = create
            .Replace("event_schemas_mv TO event_schemas AS", $"{view.Name} TO {view.Table} AS", StringComparison.Ordinal)
            .Replace("WHERE is_deleted = 0", $"WHERE is_deleted = 0 AND project_id = '{project}'", StringComparison.Ordinal);
        await chdb.Store.ExecuteAsync($"CREATE TABLE {view.Table} AS event_schemas", null, CancellationToken.None);
        await chdb.Store.ExecuteAsync(create, null, CancellationToken.None);
        return view;
    }

    private sealed record OldView(IAnalyticsStore Store, string Table, string Name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Store.ExecuteAsync($"DROP VIEW IF EXISTS {Name}", null, CancellationToken.None);
            await Store.ExecuteAsync($"DROP TABLE IF EXISTS {Table}", null, CancellationToken.None);
        }
    }

    /// <summary>An object store that refuses every write: a dead letter cannot be kept.</summary>
    private sealed class RefusingObjectStore : IObjectStore
    {
        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => throw new IOException("No space left on device (simulated)");

        public Task<Stream?> GetAsync(string key, CancellationToken cancellationToken) => Task.FromResult<Stream?>(null);

        public async IAsyncEnumerable<string> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
