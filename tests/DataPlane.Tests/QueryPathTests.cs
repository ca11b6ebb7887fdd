using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults.Auth;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// The read paths of issue 16: typed columns, the default time range of the event routes, totals that say when
/// they are estimates, and pages read without FINAL (candidates checked against their current revision).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class QueryPathTests(ApiFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    [Fact]
    public async Task Typed_columns_hold_the_values_of_their_bucket_paths_for_rows_inserted_without_them()
    {
        var rows = await fixture.Store.QueryAsync(
            "SELECT event_id, model, cost, total_tokens, prompt_tokens, completion_tokens, has_error, user_id, session_name FROM events FINAL " +
            "WHERE project_id = {project:String} AND event_id IN ({m1:String}, {m2:String}, {s:String}) ORDER BY event_id",
            new Dictionary<string, object?> { ["project"] = Tenants.A.ProjectId.ToString(), ["m1"] = Model1, ["m2"] = Model2, ["s"] = Session1 },
            CancellationToken.None);
        var byId = rows.ToDictionary(r => r.GetProperty("event_id").GetString()!);

        var model1 = byId[Model1];
        Assert.Equal(0.01, model1.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(100, model1.GetProperty("total_tokens").GetDouble());
        Assert.Equal(60, model1.GetProperty("prompt_tokens").GetDouble());
        Assert.Equal(40, model1.GetProperty("completion_tokens").GetDouble());
        Assert.Equal(0, model1.GetProperty("has_error").GetInt32());
        Assert.Equal(1, byId[Model2].GetProperty("has_error").GetInt32());
        Assert.Equal(JsonValueKind.Null, byId[Model2].GetProperty("prompt_tokens").ValueKind);
        Assert.Equal("u1", byId[Session1].GetProperty("user_id").GetString());
        Assert.Equal(JsonValueKind.Null, byId[Session1].GetProperty("cost").ValueKind);
    }

    [Fact]
    public async Task Typed_columns_are_filled_from_the_buckets_of_a_row_inserted_now()
    {
        var session = Guid.NewGuid().ToString();
        var row = Row(Tenants.D.ProjectId.ToString(), session, session, "", "session", "typed", 0, 10,
            config: new { model = "gpt-4o-mini" }, metadata: new { cost = "0.5", session_name = "checkout", total_tokens = 7 },
            userProperties: new { user_id = "user-9" }, error: "failed");
        await fixture.Store.InsertJsonEachRowAsync("events", Encode([row]), CancellationToken.None);

        var stored = (await fixture.Store.QueryAsync(
            "SELECT model, cost, total_tokens, has_error, user_id, session_name FROM events WHERE project_id = {project:String} AND event_id = {id:String}",
            new Dictionary<string, object?> { ["project"] = Tenants.D.ProjectId.ToString(), ["id"] = session }, CancellationToken.None)).Single();
        Assert.Equal("gpt-4o-mini", stored.GetProperty("model").GetString());
        Assert.Equal(0.5, stored.GetProperty("cost").GetDouble());
        Assert.Equal(7, stored.GetProperty("total_tokens").GetDouble());
        Assert.Equal(1, stored.GetProperty("has_error").GetInt32());
        Assert.Equal("user-9", stored.GetProperty("user_id").GetString());
        Assert.Equal("checkout", stored.GetProperty("session_name").GetString());
    }

    [Fact]
    public void A_filter_on_a_typed_bucket_path_compiles_to_its_column_and_a_nested_path_does_not()
    {
        var parameters = new QueryParameters(Guid.NewGuid());
        var cost = FilterCompiler.Compile(new EventFilter("metadata.cost", "greater than", JsonSerializer.SerializeToElement(0.01), "number"), parameters);
        Assert.Equal("ifNull(cost > {p0:Float64}, 0)", cost);
        var model = FilterCompiler.Compile(new EventFilter("config.model", "is", JsonSerializer.SerializeToElement("gpt-4o"), "string"), parameters);
        Assert.Equal("model = {p1:String}", model);
        var nested = FilterCompiler.Compile(new EventFilter("metadata.cost.usd", "greater than", JsonSerializer.SerializeToElement(1), "number"), parameters);
        Assert.Contains("metadata[", nested, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Event_routes_read_the_last_7_days_unless_the_request_names_a_range()
    {
        var d = fixture.Client("key-d");
        var session = Guid.NewGuid().ToString();
        var recent = Guid.NewGuid().ToString();
        var old = Guid.NewGuid().ToString();
        var now = DateTimeOffset.UtcNow;
        await InsertAtAsync(Tenants.D, session, (recent, now.AddDays(-1)), (old, now.AddDays(-10)));
        var filters = new[] { EventSearchTests.SessionFilter(session) };
        var filtersQuery = Uri.EscapeDataString(JsonSerializer.Serialize(filters));
        var range = new { start_time = now.AddDays(-30).ToString("O", CultureInfo.InvariantCulture), end_time = now.ToString("O", CultureInfo.InvariantCulture) };
        var rangeQuery = Uri.EscapeDataString(JsonSerializer.Serialize(range));

        var search = await (await d.PostAsJsonAsync("/v1/events/search", new { filters })).ReadJsonAsync();
        Assert.Equal([recent], search.Ids());
        Assert.Equal(1, search.GetProperty("count").GetInt32());
        var whole = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, dateRange = range })).ReadJsonAsync();
        Assert.Equal(new[] { recent, old }.Order(), whole.Ids().Order());

        var legacy = await (await d.GetAsync($"/events?filters={filtersQuery}")).ReadJsonAsync();
        Assert.Equal([recent], legacy.Ids());
        var legacyWhole = await (await d.GetAsync($"/events?filters={filtersQuery}&dateRange={rangeQuery}")).ReadJsonAsync();
        Assert.Equal(2, legacyWhole.Ids().Length);

        var export = await (await d.PostAsJsonAsync("/v1/events/export", new { filters })).ReadJsonAsync();
        Assert.Equal([recent], export.Ids());
        var exportWhole = await (await d.PostAsJsonAsync("/v1/events/export", new { filters, dateRange = new Dictionary<string, string> { ["$gte"] = range.start_time } })).ReadJsonAsync();
        Assert.Equal(2, exportWhole.Ids().Length);

        var chart = await (await d.GetAsync($"/v1/events/chart?metric=duration&aggregation=count&bucket=day&filters={filtersQuery}")).ReadJsonAsync();
        Assert.Equal(1, chart.GetProperty("totalEvents").GetInt32());
        var chartWhole = await (await d.GetAsync($"/v1/events/chart?metric=duration&aggregation=count&bucket=day&filters={filtersQuery}&dateRange={rangeQuery}")).ReadJsonAsync();
        Assert.Equal(2, chartWhole.GetProperty("totalEvents").GetInt32());
    }

    [Fact]
    public async Task A_total_over_more_rows_than_the_exact_count_limit_is_flagged_as_an_estimate_and_a_small_one_is_exact()
    {
        // Project C holds ApiFixture.ExportRows rows, more than the fixture's ExactCountMaxRows; A's seed fewer.
        var large = await fixture.Client("key-c").SearchAsync(new { limit = 1 });
        Assert.True(large.GetProperty("total_is_estimate").GetBoolean());
        Assert.Equal(ApiFixture.ExportRows, large.GetProperty("count").GetInt32());

        var small = await a.SearchAsync(new { filters = new[] { EventSearchTests.SessionFilter(Session1) } });
        Assert.False(small.GetProperty("total_is_estimate").GetBoolean());
        Assert.Equal(5, small.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_page_whose_first_candidates_are_stale_revisions_is_refilled_with_current_matches_only()
    {
        // 40 events whose first revision matched (tag hot) and whose current one does not (tag cold), all later than
        // the 5 events that match now: the first candidates read are all stale, so the page must read deeper.
        var session = Guid.NewGuid().ToString();
        var project = Tenants.D.ProjectId.ToString();
        var stale = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString()).ToList();
        var hot = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString()).ToList();
        var now = DateTimeOffset.UtcNow;
        await fixture.Store.ExecuteAsync("SYSTEM STOP MERGES events", null, CancellationToken.None);
        try
        {
            var rows = new List<Dictionary<string, object?>>();
            for (var i = 0; i < stale.Count; i++)
                rows.Add(At(Row(project, session, stale[i], session, "tool", "t", 0, 1, metadata: new { tag = "hot" }), now.AddMinutes(-i)));
            for (var i = 0; i < hot.Count; i++)
                rows.Add(At(Row(project, session, hot[i], session, "tool", "t", 0, 1, metadata: new { tag = "hot" }), now.AddHours(-1).AddMinutes(-i)));
            // A tombstoned event that matched: never comes back either.
            var deleted = Guid.NewGuid().ToString();
            rows.Add(At(Row(project, session, deleted, session, "tool", "t", 0, 1, metadata: new { tag = "hot" }), now.AddMinutes(-30)));
            await fixture.Store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
            var updates = stale.Select((id, i) => At(Row(project, session, id, session, "tool", "t", 0, 1, metadata: new { tag = "cold" }, version: V2), now.AddMinutes(-i)))
                .Append(At(Row(project, session, deleted, session, "tool", "t", 0, 1, metadata: new { tag = "hot" }, version: V2, deleted: 1), now.AddMinutes(-30)))
                .ToList();
            await fixture.Store.InsertJsonEachRowAsync("events", Encode(updates), CancellationToken.None);

            var d = fixture.Client("key-d");
            var filters = new object[] { EventSearchTests.SessionFilter(session), new { field = "metadata.tag", @operator = "is", value = "hot", type = "string" } };
            var first = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, limit = 3 })).ReadJsonAsync();
            Assert.Equal(hot.Take(3), first.Ids());
            var cursor = first.GetProperty("next_cursor").GetString();
            var second = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, limit = 3, cursor })).ReadJsonAsync();
            Assert.Equal(hot.Skip(3), second.Ids());
            Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
            var byPage = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, limit = 2, page = 2 })).ReadJsonAsync();
            Assert.Equal(hot.Skip(2).Take(2), byPage.Ids());
            Assert.Equal(5, first.GetProperty("count").GetInt32());

            var cold = await (await d.PostAsJsonAsync("/v1/events/search", new
            {
                filters = new object[] { EventSearchTests.SessionFilter(session), new { field = "metadata.tag", @operator = "is", value = "cold", type = "string" } },
                limit = 100,
            })).ReadJsonAsync();
            Assert.Equal(stale, cold.Ids());
            Assert.All(cold.GetProperty("events").EnumerateArray(), e => Assert.Equal("cold", e.GetProperty("metadata").GetProperty("tag").GetString()));
        }
        finally
        {
            await fixture.Store.ExecuteAsync("SYSTEM START MERGES events", null, CancellationToken.None);
        }
    }

    private async Task InsertAtAsync(ApiKeyIdentity tenant, string session, params (string Id, DateTimeOffset Start)[] events)
    {
        var rows = events.Select(e => At(Row(tenant.ProjectId.ToString(), session, e.Id, session, "tool", "dated", 0, 5), e.Start));
        await fixture.Store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
    }

    private static Dictionary<string, object?> At(Dictionary<string, object?> row, DateTimeOffset start)
    {
        row["start_time"] = start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        row["end_time"] = start.UtcDateTime.AddMilliseconds(5).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return row;
    }
}
