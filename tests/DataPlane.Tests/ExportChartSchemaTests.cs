using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

[Collection(ApiCollection.Name)]
public sealed class ExportChartSchemaTests(ApiFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    [Fact]
    public async Task Export_streams_chunk_by_chunk_while_the_client_reads()
    {
        var client = fixture.Client("key-c");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events/export")
        {
            Content = ApiFixture.Json(new { filters = Array.Empty<object>(), limit = ApiFixture.ExportRows, dateRange = AllTime }),
        };
        var before = fixture.Counting.Queries;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var stream = await response.Content.ReadAsStreamAsync();
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int? queriesAtFirstEvent = null;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            body.Write(buffer, 0, read);
            if (queriesAtFirstEvent is null && Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length).Contains("\"event_id\"", StringComparison.Ordinal))
                queriesAtFirstEvent = fixture.Counting.Queries - before;
        }

        var chunks = ApiFixture.ExportRows / ApiFixture.ExportChunk;
        var total = fixture.Counting.Queries - before;
        // One query for the total (more rows than ApiFixture.ExactCountMaxRows: an estimate, no exact count), then
        // two per chunk (its candidates, and their current revisions by key: EventQueries.PageAsync); the first rows
        // reached the client while the server had run the total and at most two chunks: the rest waited for the reader.
        Assert.Equal(1 + 2 * chunks, total);
        Assert.NotNull(queriesAtFirstEvent);
        Assert.InRange(queriesAtFirstEvent.Value, 3, 5);

        using var document = JsonDocument.Parse(body.ToArray());
        var ids = document.RootElement.Ids();
        Assert.Equal(ApiFixture.ExportRows, ids.Length);
        Assert.Equal(ApiFixture.ExportRows, ids.Distinct().Count());
        Assert.Equal(ApiFixture.ExportRows, document.RootElement.GetProperty("totalEvents").GetInt32());
        var starts = document.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("start_time").GetInt64()).ToList();
        Assert.Equal(starts.OrderDescending(), starts);
    }

    [Fact]
    public async Task Legacy_export_answers_the_sdk_shape()
    {
        var body = await (await a.PostAsJsonAsync("/events/export", new
        {
            project = "ignored",
            filters = new[] { new { field = "metadata.model", @operator = "is", value = "gpt-4o", type = "string" } },
            dateRange = new Dictionary<string, string> { ["$gte"] = "2026-01-01T00:00:00Z", ["$lte"] = "2026-02-01T00:00:00Z" },
            limit = 10,
            page = 1,
        })).ReadJsonAsync();
        Assert.Equal([Model1], body.Ids());
        Assert.Equal(1, body.GetProperty("totalEvents").GetInt32());
        var e = body.GetProperty("events")[0];
        Assert.Equal(JsonValueKind.Number, e.GetProperty("end_time").ValueKind);
        Assert.Equal(e.GetProperty("end_time").GetDouble(), Math.Floor(e.GetProperty("end_time").GetDouble()));
        Assert.Equal(JsonValueKind.Array, e.GetProperty("children_ids").ValueKind);
    }

    [Theory]
    [InlineData("avg", 2000)]
    [InlineData("average", 2000)]
    [InlineData("sum", 4000)]
    [InlineData("min", 1000)]
    [InlineData("max", 3000)]
    [InlineData("count", 2)]
    [InlineData("median", 2000)]
    public async Task Chart_aggregates_a_metric_per_bucket(string aggregation, double expected)
    {
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new[] { EventSearchTests.SessionFilter(Session1), EventSearchTests.TypeFilter("model") }));
        var chart = await (await a.GetAsync($"/v1/events/chart?metric=duration&aggregation={aggregation}&bucket=hour&filters={filters}&dateRange={AllTimeQuery}")).ReadJsonAsync();
        var point = Assert.Single(chart.GetProperty("events").EnumerateArray());
        Assert.Equal(expected, point.GetProperty("value").GetDouble(), 6);
        Assert.Equal(new DateTimeOffset(Base).ToUnixTimeMilliseconds(), point.GetProperty("timestamp").GetInt64());
        Assert.Equal(2, chart.GetProperty("totalEvents").GetInt32());
    }

    [Fact]
    public async Task Chart_groups_by_a_field_and_buckets_by_minute_within_a_date_range()
    {
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new[] { EventSearchTests.SessionFilter(PagedSession) }));
        var range = Uri.EscapeDataString(JsonSerializer.Serialize(new Dictionary<string, string> { ["$gte"] = "2026-01-15T12:00:00Z", ["$lte"] = "2026-01-15T12:02:59Z" }));
        var chart = await (await a.GetAsync($"/v1/events/chart?metric=metadata.index&aggregation=max&bucket=minute&groupBy=event_type&filters={filters}&dateRange={range}")).ReadJsonAsync();
        var points = chart.GetProperty("events").EnumerateArray().Select(p => (p.GetProperty("timestamp").GetInt64(), p.GetProperty("group").GetString(), p.GetProperty("value").ValueKind == JsonValueKind.Null ? (double?)null : p.GetProperty("value").GetDouble(), p.GetProperty("count").GetInt32())).ToList();
        var minute = new DateTimeOffset(Base.AddHours(2)).ToUnixTimeMilliseconds();
        // Minute 0: the session event (no index) and 59 tools (index 0..58); minute 1: 60 tools; minute 2: 60 tools.
        Assert.Contains((minute, "session", (double?)null, 1), points);
        Assert.Contains((minute, "tool", (double?)58.0, 59), points);
        Assert.Contains((minute + 60_000, "tool", (double?)118.0, 60), points);
        Assert.Contains((minute + 120_000, "tool", (double?)178.0, 60), points);
    }

    [Theory]
    [InlineData("aggregation=mode", "aggregation")]
    [InlineData("bucket=year", "bucket")]
    [InlineData("metric=metadata.x%27)--", "metadata.x')--")]
    [InlineData("groupBy=project_id", "project_id")]
    public async Task Chart_rejects_what_it_does_not_know(string query, string field)
    {
        var problem = await (await a.GetAsync($"/v1/events/chart?{query}")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task The_field_catalogue_lists_bucket_paths_with_types()
    {
        var schema = await (await a.GetAsync("/v1/events/schema")).ReadJsonAsync();
        var fields = schema.GetProperty("fields").EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString(), f.GetProperty("event_type").GetString(), f.GetProperty("type").GetString())).ToList();
        Assert.Contains(("metadata.model", "model", "string"), fields);
        Assert.Contains(("metrics.score", "model", "number"), fields);
        Assert.Contains(("metadata.usage.total", "model", "number"), fields);
        Assert.Contains(("duration", "tool", "number"), fields);
        Assert.Equal(JsonValueKind.Array, schema.GetProperty("datasets").ValueKind);
        // Project B's fields stay in project B.
        Assert.DoesNotContain(fields, f => f.Item1 == "inputs.text");
    }
}
