using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

[Collection(ApiCollection.Name)]
public sealed class SessionTests(ApiFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b");

    [Fact]
    public async Task The_session_comes_with_its_trace_tree_nested_by_parent()
    {
        var root = await (await a.GetAsync($"/v1/sessions/{Session1}")).ReadJsonAsync();

        Assert.Equal(Session1, root.GetProperty("event_id").GetString());
        Assert.Equal("session", root.GetProperty("event_type").GetString());
        Assert.Equal(Tenants.A.OrgId.ToString(), root.GetProperty("org_id").GetString());
        var top = root.GetProperty("children").EnumerateArray().ToList();
        Assert.Equal([Chain, Model2], top.Select(Id));
        var chainChildren = top[0].GetProperty("children").EnumerateArray().ToList();
        Assert.Equal([Model1, Tool1], chainChildren.Select(Id));
        Assert.Empty(chainChildren[0].GetProperty("children").EnumerateArray());

        var metadata = root.GetProperty("metadata");
        Assert.Equal(4, metadata.GetProperty("num_events").GetInt32());
        Assert.Equal(2, metadata.GetProperty("num_model_events").GetInt32());
        Assert.True(metadata.GetProperty("has_feedback").GetBoolean());
        Assert.Equal(0.03, metadata.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(150, metadata.GetProperty("total_tokens").GetDouble());
        Assert.Equal("acme", metadata.GetProperty("customer").GetString());
    }

    [Fact]
    public async Task Another_projects_ids_are_404_and_never_data()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/v1/sessions/{SessionB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/v1/events/{EventB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/v1/sessions/{SessionB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/sessions/{Session1}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/events/{Model1}")).StatusCode);

        var search = await a.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(SessionB) } });
        Assert.Empty(search.Ids());
        var export = await (await a.PostAsJsonAsync("/events/export", new { project = "project-b", filters = new[] { EventSearchTests.SessionFilter(SessionB) }, dateRange = AllTime })).ReadJsonAsync();
        Assert.Empty(export.Ids());

        // B still sees its own data after A's delete attempt.
        var own = await (await b.GetAsync($"/v1/sessions/{SessionB}")).ReadJsonAsync();
        Assert.Equal([EventB], own.GetProperty("children").EnumerateArray().Select(Id));
        var bSearch = await b.SearchAsync(new { });
        Assert.Equal(2, bSearch.Ids().Length);
    }

    [Fact]
    public async Task Deleting_a_session_tombstones_all_its_events()
    {
        var before = await a.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(SessionToDelete) } });
        Assert.Equal(2, before.Ids().Length);

        var deleted = await (await a.DeleteAsync($"/v1/sessions/{SessionToDelete}")).ReadJsonAsync();
        Assert.True(deleted.GetProperty("success").GetBoolean());
        Assert.Equal(SessionToDelete, deleted.GetProperty("deleted").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/v1/sessions/{SessionToDelete}")).StatusCode);
        var after = await a.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(SessionToDelete) } });
        Assert.Empty(after.Ids());
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/v1/sessions/{SessionToDelete}")).StatusCode);

        // The rows are tombstones (is_deleted = 1 revisions), not removed rows.
        var rows = await fixture.Store.QueryAsync(
            "SELECT countIf(is_deleted = 1) AS tombstones FROM events WHERE session_id = {s:String}",
            new Dictionary<string, object?> { ["s"] = SessionToDelete }, CancellationToken.None);
        Assert.Equal("2", rows[0].GetProperty("tombstones").ToString());
    }

    [Fact]
    public async Task The_session_list_carries_exact_aggregates()
    {
        var list = await (await a.PostAsJsonAsync("/v1/sessions/search", new
        {
            filters = new[] { new { field = "user_properties.user_id", @operator = "is", value = "u1", type = "string" } },
            dateRange = new { start_time = SinceSeed },
        })).ReadJsonAsync();
        var session = Assert.Single(list.GetProperty("sessions").EnumerateArray());
        Assert.Equal(Session1, Id(session));
        var metadata = session.GetProperty("metadata");
        Assert.Equal(4, metadata.GetProperty("num_events").GetInt32());
        Assert.Equal(1, metadata.GetProperty("num_errors").GetInt32());
        Assert.Equal(0.03, metadata.GetProperty("cost").GetDouble(), 9);

        var all = await (await a.GetAsync($"/v1/sessions?limit=1&dateRange={SinceSeed}")).ReadJsonAsync();
        Assert.Single(all.GetProperty("sessions").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, all.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task The_session_list_covers_the_last_7_days_unless_a_dateRange_reaches_further()
    {
        var recent = await (await a.GetAsync("/v1/sessions?limit=1000")).ReadJsonAsync();
        Assert.DoesNotContain(Session1, recent.Ids("sessions"));
        Assert.DoesNotContain(PagedSession, recent.Ids("sessions"));

        var since = await (await a.GetAsync($"/v1/sessions?limit=1000&dateRange={SinceSeed}")).ReadJsonAsync();
        Assert.Contains(Session1, since.Ids("sessions"));
        var range = await (await a.GetAsync("/v1/sessions?limit=1000&dateRange=" + Uri.EscapeDataString(
            """{"$gte":"2026-01-15T00:00:00Z","$lte":"2026-01-15T10:30:00Z"}"""))).ReadJsonAsync();
        Assert.Equal([Session1], range.Ids("sessions"));
        var searched = await (await a.PostAsJsonAsync("/v1/sessions/search", new { dateRange = new { start_time = SinceSeed } })).ReadJsonAsync();
        Assert.Equal([PagedSession, Session1], searched.Ids("sessions").Intersect([Session1, PagedSession]));

        var bad = await (await a.GetAsync("/v1/sessions?dateRange=yesterday")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains("dateRange", bad.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tree_holds_each_current_event_once_in_start_order_with_roll_ups_after_the_session_metadata()
    {
        var root = await (await a.GetAsync($"/v1/sessions/{Session1}")).ReadJsonAsync();

        // The stale revision of Model1 and the deleted tool are nowhere; children keep their start order.
        Assert.Equal($"{Session1}({Chain}({Model1},{Tool1}),{Model2})", Shape(root));
        var model1 = root.GetProperty("children")[0].GetProperty("children")[0];
        Assert.Equal("gpt-4o", model1.GetProperty("metadata").GetProperty("model").GetString());
        Assert.Equal(0.7, model1.GetProperty("config").GetProperty("params").GetProperty("temperature").GetDouble());
        Assert.Equal("children", root.EnumerateObject().Last().Name);
        Assert.Equal("user_properties", root.EnumerateObject().SkipLast(1).Last().Name);

        var metadata = root.GetProperty("metadata");
        Assert.Equal(["customer", "num_events", "num_model_events", "has_feedback", "cost", "total_tokens", "prompt_tokens", "completion_tokens"],
            metadata.EnumerateObject().Select(p => p.Name));
        Assert.Equal(60, metadata.GetProperty("prompt_tokens").GetDouble());
        Assert.Equal(40, metadata.GetProperty("completion_tokens").GetDouble());
    }

    [Fact]
    public async Task A_session_without_its_session_event_gets_a_root_and_a_parent_cycle_or_a_missing_parent_hangs_under_it()
    {
        var project = Guid.NewGuid();
        var p = project.ToString();
        const string session = "7e000000-0000-4000-8000-000000000001";
        string Span(char c) => "7e000000-0000-4000-8000-00000000000" + c;
        await fixture.Store.InsertJsonEachRowAsync("events", Encode(
        [
            Row(p, session, Span('a'), session, "chain", "a", 1, 10),
            Row(p, session, Span('b'), Span('c'), "tool", "b", 2, 10),
            Row(p, session, Span('c'), Span('b'), "tool", "c", 3, 10, metadata: new { cost = 0.5 }),
            Row(p, session, Span('d'), "7e000000-0000-4000-8000-0000000000ff", "model", "d", 4, 10),
            Row(p, session, Span('e'), Span('e'), "tool", "e", 5, 10),
        ]), CancellationToken.None);

        var tree = await new SessionQueries(fixture.Store, new QueryOptions(),
                new PayloadResolver(new ServiceCollection().BuildServiceProvider(), NullLogger<PayloadResolver>.Instance))
            .TreeAsync(project, session, CancellationToken.None);

        Assert.NotNull(tree);
        Assert.Equal(5, tree.Spans);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) tree.Write(writer);
        var root = JsonDocument.Parse(buffer.WrittenMemory).RootElement;
        // b is placed first (under c, not yet placed); c would then close a cycle, so c hangs under the root.
        Assert.Equal($"{session}({Span('a')},{Span('c')}({Span('b')}),{Span('d')},{Span('e')})", Shape(root));
        Assert.Equal("session", root.GetProperty("event_type").GetString());
        Assert.Equal(new DateTimeOffset(Base.AddSeconds(1)).ToUnixTimeMilliseconds(), root.GetProperty("start_time").GetInt64());
        Assert.Equal(5, root.GetProperty("metadata").GetProperty("num_events").GetInt32());
        Assert.Equal(0.5, root.GetProperty("metadata").GetProperty("cost").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task A_session_with_more_stored_rows_than_the_tree_reads_as_they_lie_gets_the_same_current_events_from_sql()
    {
        // Session1 holds a stale revision of Model1 and a tombstoned tool: 8 stored rows for 5 current events. With
        // MaxTreeEvents 3 the tree reads at most 3 rows as they lie, so it picks the newest revisions in SQL instead.
        var project = Guid.Parse("11111111-1111-4111-8111-111111111111");
        var payloads = new PayloadResolver(new ServiceCollection().BuildServiceProvider(), NullLogger<PayloadResolver>.Instance);
        async Task<string> TreeAsync(int max)
        {
            var tree = await new SessionQueries(fixture.Store, new QueryOptions { MaxTreeEvents = max }, payloads)
                .TreeAsync(project, Session1, CancellationToken.None);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer)) tree!.Write(writer);
            return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        var picked = JsonDocument.Parse(await TreeAsync(100)).RootElement;
        Assert.Equal($"{Session1}({Chain}({Model1},{Tool1}),{Model2})", Shape(picked));
        // The first 3 current events in start order, both ways; the stale Model1 and the deleted tool never.
        var bySql = JsonDocument.Parse(await TreeAsync(3)).RootElement;
        Assert.Equal($"{Session1}({Chain}({Model1}))", Shape(bySql));
        Assert.Equal("gpt-4o", bySql.GetProperty("children")[0].GetProperty("children")[0].GetProperty("metadata").GetProperty("model").GetString());
    }

    private const string SinceSeed = "2026-01-01T00:00:00Z";

    /// <summary>id(child,child(...)) in the order the tree lists them.</summary>
    private static string Shape(JsonElement node)
    {
        var children = node.GetProperty("children").EnumerateArray().Select(Shape).ToList();
        return Id(node) + (children.Count == 0 ? "" : "(" + string.Join(",", children) + ")");
    }

    private static string Id(JsonElement e) => e.GetProperty("event_id").GetString()!;
}
