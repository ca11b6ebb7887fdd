using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
        })).ReadJsonAsync();
        var session = Assert.Single(list.GetProperty("sessions").EnumerateArray());
        Assert.Equal(Session1, Id(session));
        var metadata = session.GetProperty("metadata");
        Assert.Equal(4, metadata.GetProperty("num_events").GetInt32());
        Assert.Equal(1, metadata.GetProperty("num_errors").GetInt32());
        Assert.Equal(0.03, metadata.GetProperty("cost").GetDouble(), 9);

        var all = await (await a.GetAsync("/v1/sessions?limit=1")).ReadJsonAsync();
        Assert.Single(all.GetProperty("sessions").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, all.GetProperty("next_cursor").ValueKind);
    }

    private static string Id(JsonElement e) => e.GetProperty("event_id").GetString()!;
}
