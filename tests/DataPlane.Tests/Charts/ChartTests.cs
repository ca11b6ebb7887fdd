using System.Net;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Charts;
using HoneyHive.DataPlane.Tests.Definitions;

namespace HoneyHive.DataPlane.Tests.Charts;

/// <summary>Saved charts (/v1/charts): the spec's request and response shapes, validation naming fields, limits and tenancy.</summary>
public sealed class ChartTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b");

    /// <summary>Every key the spec's chart response data requires.</summary>
    private static readonly string[] RequiredKeys =
        ["id", "name", "description", "metric", "func", "groupBy", "bucketing", "dateRange", "query", "owner_id", "is_active", "created_at", "updated_at"];

    private static object Full(string name) => new
    {
        name, description = "Cost per day", metric = "cost", func = "sum", groupBy = "event_name", bucketing = "hour",
        dateRange = new Dictionary<string, object> { ["$gte"] = "2026-01-01T00:00:00Z", ["$lte"] = 1767225600000 },
        query = new[] { new { field = "event_type", value = (string?)"model", type = "string", @operator = "is" } },
        owner_id = "user-1",
    };

    private async Task<JsonElement> CreateAsync(HttpClient client, object body)
    {
        var created = await client.PostJsonAsync("/v1/charts", body);
        Assert.True(created.GetProperty("success").GetBoolean());
        return created.GetProperty("data");
    }

    [Fact]
    public async Task Create_get_and_list_answer_every_field_of_the_spec()
    {
        var data = await CreateAsync(a, Full("daily-cost"));
        foreach (var key in RequiredKeys) Assert.True(data.TryGetProperty(key, out _), $"missing {key}: {data}");
        var id = data.GetProperty("id").GetString()!;

        var fetched = (await a.GetJsonAsync($"/v1/charts/{id}")).GetProperty("data");
        Assert.Equal("daily-cost", fetched.GetProperty("name").GetString());
        Assert.Equal("Cost per day", fetched.GetProperty("description").GetString());
        Assert.Equal("sum", fetched.GetProperty("func").GetString());
        Assert.Equal("event_name", fetched.GetProperty("groupBy").GetString());
        Assert.Equal("hour", fetched.GetProperty("bucketing").GetString());
        Assert.Equal(1767225600000, fetched.GetProperty("dateRange").GetProperty("$lte").GetInt64());
        Assert.Equal("model", fetched.GetProperty("query")[0].GetProperty("value").GetString());
        Assert.Equal("user-1", fetched.GetProperty("owner_id").GetString());
        Assert.True(fetched.GetProperty("is_active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, fetched.GetProperty("updated_at").ValueKind);

        var list = await a.GetJsonAsync("/v1/charts");
        Assert.True(list.GetProperty("success").GetBoolean());
        Assert.Contains(list.GetProperty("data").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_minimal_chart_gets_day_bucketing_and_nulls_for_what_was_not_set()
    {
        var data = await CreateAsync(a, new { name = "minimal", metric = "latency" });
        Assert.Equal("day", data.GetProperty("bucketing").GetString());
        foreach (var key in new[] { "description", "func", "groupBy", "dateRange", "query", "owner_id" })
            Assert.Equal(JsonValueKind.Null, data.GetProperty(key).ValueKind);
    }

    [Fact]
    public async Task Update_changes_only_the_fields_sent_and_delete_removes_the_chart()
    {
        var id = (await CreateAsync(a, Full("to-update"))).GetProperty("id").GetString()!;
        var updated = (await a.PutJsonAsync($"/v1/charts/{id}", new { name = "renamed", dateRange = new { relative = "7d" }, groupBy = (string?)null })).GetProperty("data");
        Assert.Equal("renamed", updated.GetProperty("name").GetString());
        Assert.Equal("7d", updated.GetProperty("dateRange").GetProperty("relative").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("groupBy").ValueKind);
        Assert.Equal("cost", updated.GetProperty("metric").GetString());
        Assert.Equal("sum", updated.GetProperty("func").GetString());
        Assert.NotEqual(JsonValueKind.Null, updated.GetProperty("updated_at").ValueKind);

        var deleted = await a.DeleteJsonAsync($"/v1/charts/{id}");
        Assert.True(deleted.GetProperty("success").GetBoolean());
        Assert.False(string.IsNullOrEmpty(deleted.GetProperty("message").GetString()));
        await a.GetJsonAsync($"/v1/charts/{id}", HttpStatusCode.NotFound);
        await a.DeleteJsonAsync($"/v1/charts/{id}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_projects_chart_is_404_on_every_route_and_stays_unchanged()
    {
        var id = (await CreateAsync(b, Full("b-chart"))).GetProperty("id").GetString()!;

        await a.GetJsonAsync($"/v1/charts/{id}", HttpStatusCode.NotFound);
        await a.PutJsonAsync($"/v1/charts/{id}", new { name = "hijacked" }, HttpStatusCode.NotFound);
        await a.DeleteJsonAsync($"/v1/charts/{id}", HttpStatusCode.NotFound);
        Assert.DoesNotContain((await a.GetJsonAsync("/v1/charts")).GetProperty("data").EnumerateArray(), c => c.GetProperty("id").GetString() == id);

        var own = (await b.GetJsonAsync($"/v1/charts/{id}")).GetProperty("data");
        Assert.Equal("b-chart", own.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{"metric":"cost"}""", "name")]
    [InlineData("""{"name":"x"}""", "metric")]
    [InlineData("""{"name":"","metric":"cost"}""", "name")]
    [InlineData("""{"name":"x","metric":"cost","bucketing":"year"}""", "bucketing")]
    [InlineData("""{"name":"x","metric":"cost","colour":"red"}""", "colour")]
    [InlineData("""{"name":"x","metric":"cost","dateRange":"last week"}""", "dateRange")]
    [InlineData("""{"name":"x","metric":"cost","dateRange":{"$gte":"2026-01-01"}}""", "dateRange.$lte")]
    [InlineData("""{"name":"x","metric":"cost","dateRange":{"relative":"7d","extra":1}}""", "dateRange.extra")]
    [InlineData("""{"name":"x","metric":"cost","query":{"field":"a"}}""", "query")]
    [InlineData("""{"name":"x","metric":"cost","query":[{"field":"a","type":"string","operator":"is"}]}""", "query[0].value")]
    [InlineData("""{"name":"x","metric":"cost","query":[{"field":"a","value":3,"type":"string","operator":"is"}]}""", "query[0].value")]
    [InlineData("""{"name":"x","metric":"cost","owner_id":""}""", "owner_id")]
    [InlineData("""[1]""", "body")]
    public async Task Create_refuses_a_bad_body_naming_the_field(string body, string field)
    {
        var problem = await a.PostJsonAsync("/v1/charts", body, HttpStatusCode.BadRequest);
        problem.AssertNamesField(field);
    }

    [Fact]
    public async Task Sizes_and_list_lengths_are_bounded()
    {
        var longName = new string('n', ChartDefinition.MaxName + 1);
        (await a.PostJsonAsync("/v1/charts", new { name = longName, metric = "cost" }, HttpStatusCode.BadRequest)).AssertNamesField("name");
        var filters = Enumerable.Range(0, ChartDefinition.MaxFilters + 1).Select(i => new { field = $"f{i}", value = "v", type = "string", @operator = "is" });
        (await a.PostJsonAsync("/v1/charts", new { name = "many", metric = "cost", query = filters }, HttpStatusCode.BadRequest)).AssertNamesField("query");
        var longValue = new[] { new { field = "f", value = new string('v', ChartDefinition.MaxFilterValue + 1), type = "string", @operator = "is" } };
        (await a.PostJsonAsync("/v1/charts", new { name = "long", metric = "cost", query = longValue }, HttpStatusCode.BadRequest)).AssertNamesField("query[0].value");
        (await a.GetJsonAsync("/v1/charts?limit=0", HttpStatusCode.BadRequest)).AssertNamesField("limit");
        (await a.GetJsonAsync("/v1/charts?limit=1001", HttpStatusCode.BadRequest)).AssertNamesField("limit");

        await CreateAsync(a, new { name = "first", metric = "m" });
        await CreateAsync(a, new { name = "second", metric = "m" });
        Assert.Single((await a.GetJsonAsync("/v1/charts?limit=1")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Update_refuses_a_bad_body_before_looking_the_chart_up()
    {
        var id = (await CreateAsync(a, Full("strict-update"))).GetProperty("id").GetString()!;
        (await a.PutJsonAsync($"/v1/charts/{id}", new { bucketing = "decade" }, HttpStatusCode.BadRequest)).AssertNamesField("bucketing");
        (await a.PutJsonAsync($"/v1/charts/{id}", new { name = "" }, HttpStatusCode.BadRequest)).AssertNamesField("name");
        (await a.PutJsonAsync($"/v1/charts/{id}", new { unknown = 1 }, HttpStatusCode.BadRequest)).AssertNamesField("unknown");
        await a.GetJsonAsync("/v1/charts/not-a-uuid", HttpStatusCode.NotFound);
        Assert.Equal("strict-update", (await a.GetJsonAsync($"/v1/charts/{id}")).GetProperty("data").GetProperty("name").GetString());
    }
}
