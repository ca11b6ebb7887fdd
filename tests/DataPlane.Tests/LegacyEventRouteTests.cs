using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

/// <summary>GET /events (legacy getEvents), GET /session/{id} (the SDK's getSession) and DELETE /v1/events/{id}.</summary>
[Collection(ApiCollection.Name)]
public sealed class LegacyEventRouteTests(ApiFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b");

    private static string Filters(string session) => Uri.EscapeDataString(JsonSerializer.Serialize(new[] { EventSearchTests.SessionFilter(session) }));

    [Fact]
    public async Task Get_events_answers_the_search_as_events_and_totalEvents_with_limit_and_projections()
    {
        var search = await a.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(Session1) } });

        var all = await (await a.GetAsync($"/events?filters={Filters(Session1)}&dateRange={AllTimeQuery}")).ReadJsonAsync();
        Assert.Equal(search.Ids().Order(), all.Ids().Order());
        Assert.Equal(search.GetProperty("totalEvents").GetInt64(), all.GetProperty("totalEvents").GetInt64());

        var projections = Uri.EscapeDataString("[\"event_id\",\"event_name\"]");
        var page = await (await a.GetAsync($"/events?filters={Filters(Session1)}&limit=2&page=2&projections={projections}&dateRange={AllTimeQuery}")).ReadJsonAsync();
        var events = page.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.False(e.TryGetProperty("inputs", out _), e.ToString()));
        Assert.All(events, e => Assert.True(e.TryGetProperty("event_name", out _), e.ToString()));
        Assert.Equal(search.GetProperty("totalEvents").GetInt64(), page.GetProperty("totalEvents").GetInt64());

        var commaList = await (await a.GetAsync($"/events?filters={Filters(Session1)}&projections=event_id,event_type&dateRange={AllTimeQuery}")).ReadJsonAsync();
        Assert.All(commaList.GetProperty("events").EnumerateArray(), e => Assert.False(e.TryGetProperty("event_name", out _), e.ToString()));
    }

    [Theory]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=5000", "limit")]
    [InlineData("page=0", "page")]
    [InlineData("filters=not-json", "filters")]
    [InlineData("dateRange=%7Bbroken", "dateRange")]
    [InlineData("ignore_order=maybe", "ignore_order")]
    [InlineData("projections=%5B1%2C", "projections")]
    public async Task Get_events_refuses_bad_parameters_naming_them(string query, string field)
    {
        var problem = await (await a.GetAsync($"/events?{query}")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Get_events_refuses_more_projections_than_the_limit()
    {
        var names = string.Join(',', Enumerable.Range(0, HoneyHive.DataPlane.Api.Queries.LegacyEventQuery.MaxProjections + 1).Select(i => $"metadata.k{i}"));
        var problem = await (await a.GetAsync($"/events?projections={names}")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("projections", out _), problem.ToString());
    }

    [Fact]
    public async Task Get_events_with_another_projects_session_finds_nothing()
    {
        var page = await (await a.GetAsync($"/events?filters={Filters(SessionB)}&dateRange={AllTimeQuery}")).ReadJsonAsync();
        Assert.Empty(page.Ids());
        Assert.Equal(0, page.GetProperty("totalEvents").GetInt64());
    }

    [Fact]
    public async Task Get_session_without_v1_answers_the_same_tree_and_404_for_another_project()
    {
        var legacy = await (await a.GetAsync($"/session/{Session1}")).ReadJsonAsync();
        var v1 = await (await a.GetAsync($"/v1/sessions/{Session1}")).ReadJsonAsync();
        Assert.Equal(v1.ToString(), legacy.ToString());
        Assert.Equal("session", legacy.GetProperty("event_type").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/session/{SessionB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/session/{Session1}")).StatusCode);
    }

    [Fact]
    public async Task Deleting_an_event_tombstones_it_and_only_it()
    {
        // Rows of project D, which this test owns, so the shared seed stays as the other tests expect it.
        var d = fixture.Client("key-d");
        var project = Tenants.D.ProjectId.ToString();
        var session = "d0000000-0000-4000-8000-" + Guid.NewGuid().ToString("N")[..12];
        var kept = "d1000000-0000-4000-8000-" + Guid.NewGuid().ToString("N")[..12];
        var doomed = "d2000000-0000-4000-8000-" + Guid.NewGuid().ToString("N")[..12];
        await fixture.Store.InsertJsonEachRowAsync("events", Encode(
        [
            Row(project, session, session, "", "session", "s", 0, 100),
            Row(project, session, kept, session, "tool", "kept", 1, 10),
            Row(project, session, doomed, session, "tool", "doomed", 2, 10),
        ]), CancellationToken.None);

        // Another project's key cannot delete it, and learns nothing from trying.
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/v1/events/{doomed}")).StatusCode);
        await (await d.GetAsync($"/v1/events/{doomed}")).ReadJsonAsync();

        var deleted = await (await d.DeleteAsync($"/v1/events/{doomed}")).ReadJsonAsync();
        Assert.True(deleted.GetProperty("success").GetBoolean());
        Assert.Equal(doomed, deleted.GetProperty("deleted").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await d.GetAsync($"/v1/events/{doomed}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await d.DeleteAsync($"/v1/events/{doomed}")).StatusCode);
        var left = await d.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(session) } });
        Assert.Equal(new[] { kept, session }.Order(), left.Ids().Order());
        var tree = await (await d.GetAsync($"/v1/sessions/{session}")).ReadJsonAsync();
        Assert.Equal([kept], tree.GetProperty("children").EnumerateArray().Select(e => e.GetProperty("event_id").GetString()));

        var rows = await fixture.Store.QueryAsync(
            "SELECT countIf(is_deleted = 1) AS tombstones FROM events WHERE session_id = {s:String}",
            new Dictionary<string, object?> { ["s"] = session }, CancellationToken.None);
        Assert.Equal("1", rows[0].GetProperty("tombstones").ToString());
    }

    [Fact]
    public async Task Deleting_another_projects_event_is_404_and_it_stays()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/v1/events/{EventB}")).StatusCode);
        await (await b.GetAsync($"/v1/events/{EventB}")).ReadJsonAsync();
    }
}
