using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

[Collection(ApiCollection.Name)]
public sealed class EventSearchTests(ApiFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    private static readonly Dictionary<string, string> Names = new()
    {
        ["session"] = Session1, ["chain"] = Chain, ["model1"] = Model1, ["model2"] = Model2, ["tool1"] = Tool1,
    };

    [Theory]
    // string
    [InlineData("metadata.model", "exists", "null", "string", "model1,model2")]
    [InlineData("metadata.model", "not exists", "null", "string", "session,chain,tool1")]
    [InlineData("metadata.model", "is", "\"gpt-4o\"", "string", "model1")]
    [InlineData("metadata.model", "is not", "\"gpt-4o\"", "string", "session,chain,tool1,model2")]
    [InlineData("event_name", "contains", "\"LLM\"", "string", "model1,model2")]
    [InlineData("event_name", "not contains", "\"llm\"", "string", "session,chain,tool1")]
    [InlineData("metadata.model", "is", "\"stale-model\"", "string", "")]
    [InlineData("error", "is", "\"boom\"", "string", "model2")]
    [InlineData("error", "exists", "null", "string", "model2")]
    [InlineData("event_type", "is", "\"chain\"", "id", "chain")]
    [InlineData("user_properties.user_id", "is", "\"u1\"", "string", "session")]
    [InlineData("metadata.usage.kind", "is", "\"chat\"", "string", "model1")]
    // number
    [InlineData("metrics.score", "greater than", "0.5", "number", "model1")]
    [InlineData("metrics.score", "less than", "\"0.5\"", "number", "model2")]
    [InlineData("duration", "is", "200", "number", "tool1")]
    [InlineData("duration", "is not", "200", "number", "session,chain,model1,model2")]
    [InlineData("metrics.score", "exists", "null", "number", "model1,model2")]
    [InlineData("metrics.score", "not exists", "null", "number", "session,chain,tool1")]
    [InlineData("metadata.usage.total", "greater than", "50", "number", "model1")]
    [InlineData("config.params.temperature", "is", "0.7", "number", "model1")]
    // bucket paths with a typed column (Schema/0006): the same answers as through the map
    [InlineData("metadata.cost", "greater than", "0.015", "number", "model2")]
    [InlineData("metadata.cost", "less than", "\"0.015\"", "number", "model1")]
    [InlineData("metadata.cost", "is", "\"0.01\"", "string", "model1")]
    [InlineData("metadata.cost", "exists", "null", "number", "model1,model2")]
    [InlineData("metadata.total_tokens", "less than", "80", "number", "model2")]
    [InlineData("metadata.prompt_tokens", "is", "60", "number", "model1")]
    [InlineData("metadata.completion_tokens", "greater than", "0", "number", "model1")]
    [InlineData("user_properties.user_id", "contains", "\"U\"", "string", "session")]
    [InlineData("error", "not exists", "null", "string", "session,chain,tool1,model1")]
    [InlineData("outputs.hits", "is", "3", null, "tool1")]
    // boolean
    [InlineData("metrics.passed", "is", "true", "boolean", "model1")]
    [InlineData("metrics.passed", "is", "\"false\"", "boolean", "model2")]
    [InlineData("metrics.passed", "exists", "null", "boolean", "model1,model2")]
    [InlineData("metrics.passed", "not exists", "null", "boolean", "session,chain,tool1")]
    // datetime
    [InlineData("start_time", "after", "\"2026-01-15T10:00:01Z\"", "datetime", "tool1,model2")]
    [InlineData("start_time", "before", "\"2026-01-15T10:00:00.150Z\"", "datetime", "session,chain")]
    [InlineData("start_time", "is", "\"2026-01-15T10:00:00.200Z\"", "datetime", "model1")]
    [InlineData("start_time", "is not", "\"2026-01-15T10:00:00.200Z\"", "datetime", "session,chain,tool1,model2")]
    [InlineData("start_time", "after", "1768471201000", "datetime", "tool1,model2")]
    [InlineData("metadata.when", "after", "\"2026-02-01T00:00:00Z\"", "datetime", "tool1")]
    [InlineData("metadata.when", "before", "\"2026-02-01\"", "datetime", "model1")]
    [InlineData("metadata.when", "exists", "null", "datetime", "model1,tool1")]
    [InlineData("metadata.when", "not exists", "null", "datetime", "session,chain,model2")]
    public async Task Each_operator_and_type_selects_the_current_events_it_describes(string field, string op, string value, string? type, string expected)
    {
        var filter = new Dictionary<string, object?> { ["field"] = field, ["operator"] = op, ["value"] = JsonDocument.Parse(value).RootElement };
        if (type is not null) filter["type"] = type;
        var page = await a.SearchAsync(new { filters = new object[] { SessionFilter(Session1), filter } });

        var want = expected.Length == 0 ? [] : expected.Split(',').Select(n => Names[n]).Order().ToArray();
        Assert.Equal(want, page.Ids().Order().ToArray());
        Assert.Equal(want.Length, page.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Stale_revisions_and_tombstoned_events_never_come_back()
    {
        var page = await a.SearchAsync(new { filters = new[] { SessionFilter(Session1) } });
        Assert.DoesNotContain(DeletedTool, page.Ids());
        var model = page.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("event_id").GetString() == Model1);
        Assert.Equal("gpt-4o", model.GetProperty("metadata").GetProperty("model").GetString());
        Assert.Equal(100, model.GetProperty("metadata").GetProperty("usage").GetProperty("total").GetInt32());
        Assert.Equal(0.7, model.GetProperty("config").GetProperty("params").GetProperty("temperature").GetDouble());
        Assert.Equal(5, page.Ids().Length);

        var deleted = await a.GetAsync($"/v1/events/{DeletedTool}");
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
    }

    [Theory]
    [InlineData("metadata.model') OR 1=1 --")]
    [InlineData("event_name\" = event_name OR \"")]
    [InlineData("project_id")]
    [InlineData("metadata.x]; DROP TABLE events")]
    public async Task Injection_in_a_field_name_is_a_400_naming_the_field(string field)
    {
        var problem = await a.SearchAsync(new { filters = new[] { new { field, @operator = "is", value = "x", type = "string" } } }, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Injection_in_values_is_a_literal()
    {
        var none = await a.SearchAsync(new { filters = new[] { new { field = "event_name", @operator = "is", value = "x' OR 1=1 --", type = "string" } } });
        Assert.Empty(none.Ids());

        var literal = await a.SearchAsync(new { filters = new[] { new { field = "inputs.question", @operator = "contains", value = "'DROP TABLE' x; --", type = "string" } } });
        Assert.Equal([Chain], literal.Ids());

        // Path segments are values too: a hostile-looking key simply does not exist.
        var path = await a.SearchAsync(new { filters = new[] { new { field = "metadata.model--", @operator = "exists", value = (string?)null, type = "string" } } });
        Assert.Empty(path.Ids());

        var total = await a.SearchAsync(new { filters = new[] { SessionFilter(Session1) } });
        Assert.Equal(5, total.Ids().Length);
    }

    [Fact]
    public async Task Cursor_pagination_walks_every_event_once_in_start_time_order()
    {
        var seen = new List<string>();
        var starts = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await a.SearchAsync(new { filters = new[] { SessionFilter(PagedSession), TypeFilter("tool") }, limit = 100, cursor });
            pages++;
            seen.AddRange(page.Ids());
            starts.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("start_time").GetInt64()));
            Assert.Equal(PagedSpans, page.GetProperty("count").GetInt32());
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(PagedSpans, seen.Distinct().Count());
        Assert.Equal(starts.OrderDescending(), starts);
    }

    [Fact]
    public async Task Page_numbers_and_ascending_sort_page_by_offset()
    {
        var body = new { filters = new[] { SessionFilter(PagedSession), TypeFilter("tool") }, limit = 100, page = 3, sort = new { field = "start_time", order = "asc" } };
        var page = await a.SearchAsync(body);
        Assert.Equal(50, page.Ids().Length);
        Assert.Equal($"a0000000-0000-4000-8000-3{200:D11}", page.Ids()[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task Limits_outside_1_to_1000_are_rejected(int limit)
    {
        var problem = await a.SearchAsync(new { limit }, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task A_forged_cursor_is_a_400()
    {
        var problem = await a.SearchAsync(new { cursor = "eyJmIjoiZHVyYXRpb24ifQ" }, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("cursor", out _));
    }

    [Fact]
    public async Task Projections_and_date_range_shape_the_result()
    {
        var page = await a.SearchAsync(new
        {
            filters = new[] { SessionFilter(Session1) },
            projections = new[] { "event_name", "metadata.model" },
            dateRange = new { start_time = "2026-01-15T10:00:00.150Z", end_time = "2026-01-15T10:00:02Z" },
        });
        var events = page.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([Tool1, Model1], page.Ids());
        Assert.All(events, e => Assert.False(e.TryGetProperty("inputs", out _)));
        Assert.Equal("gpt-4o", events[1].GetProperty("metadata").GetProperty("model").GetString());
        Assert.False(events[1].GetProperty("metadata").TryGetProperty("cost", out _));
    }

    [Fact]
    public async Task Get_event_returns_the_current_revision()
    {
        var body = await (await a.GetAsync($"/v1/events/{Model1}")).ReadJsonAsync();
        var e = body.GetProperty("event");
        Assert.Equal(Model1, e.GetProperty("event_id").GetString());
        Assert.Equal(Chain, e.GetProperty("parent_id").GetString());
        Assert.Equal(new DateTimeOffset(Base.AddSeconds(0.2)).ToUnixTimeMilliseconds(), e.GetProperty("start_time").GetInt64());
        Assert.Equal(5, e.GetProperty("feedback").GetProperty("rating").GetInt32());
    }

    [Fact]
    public async Task Requests_without_a_key_are_401()
    {
        var response = await fixture.Client(null).PostAsJsonAsync("/v1/events/search", new { });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    internal static object SessionFilter(string session) => new { field = "session_id", @operator = "is", value = session, type = "string" };

    internal static object TypeFilter(string type) => new { field = "event_type", @operator = "is", value = type, type = "string" };
}
