using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// Reads through events_by_time (Schema/0009, <see cref="TimeOrderedEvents"/>): searches and exact counts whose
/// filters name only its columns (charts read events FINAL; they are checked against the same answer). Merges are stopped on both tables, so every revision, tombstone and
/// redelivered copy is still a row of its own when the reads run.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TimeOrderedPathTests(ApiFixture fixture)
{
    private static readonly string[] Tables = ["events", TimeOrderedEvents.Table];

    [Fact]
    public void Filters_on_columns_and_typed_columns_read_events_by_time_and_bucket_paths_read_events()
    {
        var parameters = new QueryParameters(Guid.NewGuid());
        string Compile(string field, string op, object value, string type) =>
            FilterCompiler.Compile(new EventFilter(field, op, JsonSerializer.SerializeToElement(value), type), parameters);

        Assert.True(TimeOrderedEvents.Covers(Compile("event_name", "is", "x", "string")));
        Assert.True(TimeOrderedEvents.Covers(Compile("metadata.cost", "greater than", 0.01, "number")));
        Assert.True(TimeOrderedEvents.Covers(Compile("error", "exists", "", "string")));
        Assert.False(TimeOrderedEvents.Covers(Compile("metadata.tag", "is", "hot", "string")));
        Assert.False(TimeOrderedEvents.Covers(Compile("metadata.cost", "exists", "", "string")));
        Assert.False(TimeOrderedEvents.Covers(Compile("inputs.text", "contains", "metadata", "string")));
    }

    [Fact]
    public async Task A_search_over_a_narrow_time_range_returns_exactly_its_current_matches_in_order_across_sessions()
    {
        var project = Tenants.D.ProjectId.ToString();
        var name = "range-" + Guid.NewGuid().ToString("N");
        var t = DateTimeOffset.UtcNow.AddDays(-2);
        var (s1, s2, s3) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        string Id() => Guid.NewGuid().ToString();
        var (e1, e2, e3, e4, before, after, revised, renamed, deleted) = (Id(), Id(), Id(), Id(), Id(), Id(), Id(), Id(), Id());

        await StopMergesAsync();
        try
        {
            await InsertAsync(
                Event(project, s1, e1, name, t.AddMinutes(10)),
                Event(project, s2, e2, name, t.AddMinutes(20)),
                Event(project, s3, e3, name, t.AddMinutes(30)),
                Event(project, s1, e4, name, t.AddMinutes(40)),
                Event(project, s2, before, name, t.AddMinutes(-10)),
                Event(project, s3, after, name, t.AddMinutes(70)),
                Event(project, s2, revised, "not-yet", t.AddMinutes(25)),
                Event(project, s3, renamed, name, t.AddMinutes(27)),
                Event(project, s3, deleted, name, t.AddMinutes(35)),
                // The session event as the client sent it, at 50 min ...
                Event(project, s1, s1, name, t.AddMinutes(50), "session"));
            await InsertAsync(
                Event(project, s2, revised, name, t.AddMinutes(25), version: V2),
                Event(project, s3, renamed, "renamed", t.AddMinutes(27), version: V2),
                Event(project, s3, deleted, name, t.AddMinutes(35), version: V2, deleted: 1),
                // ... its roll-up, moved earlier to its first child (a key of its own in events_by_time) ...
                Event(project, s1, s1, name, t.AddMinutes(5), "session", version: V1 + 1),
                // ... and a redelivered copy of e2.
                Event(project, s2, e2, name, t.AddMinutes(20)));

            var d = fixture.Client("key-d");
            var filters = new[] { new { field = "event_name", @operator = "is", value = name, type = "string" } };
            var range = new { start_time = Iso(t), end_time = Iso(t.AddHours(1)) };
            string[] expected = [e4, e3, revised, e2, e1, s1];

            var first = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, dateRange = range, limit = 4 })).ReadJsonAsync();
            Assert.Equal(expected.Take(4), first.Ids());
            Assert.Equal(6, first.GetProperty("count").GetInt32());
            Assert.False(first.GetProperty("total_is_estimate").GetBoolean());
            var cursor = first.GetProperty("next_cursor").GetString();
            var second = await (await d.PostAsJsonAsync("/v1/events/search", new { filters, dateRange = range, limit = 4, cursor })).ReadJsonAsync();
            Assert.Equal(expected.Skip(4), second.Ids());
            Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
            var session = second.GetProperty("events").EnumerateArray().Last();
            Assert.Equal(t.AddMinutes(5).ToUnixTimeMilliseconds(), TimeOf(session.GetProperty("start_time")));

            var ascending = await (await d.PostAsJsonAsync("/v1/events/search",
                new { filters, dateRange = range, sort = new { field = "start_time", order = "asc" } })).ReadJsonAsync();
            Assert.Equal(expected.Reverse(), ascending.Ids());

            var export = await (await d.PostAsJsonAsync("/v1/events/export", new { filters, dateRange = range })).ReadJsonAsync();
            Assert.Equal(expected, export.Ids());

            var rangeQuery = Uri.EscapeDataString(JsonSerializer.Serialize(range));
            var chart = await (await d.GetAsync(
                $"/v1/events/chart?metric=duration&aggregation=count&bucket=hour&dateRange={rangeQuery}&filters={Uri.EscapeDataString(JsonSerializer.Serialize(filters))}")).ReadJsonAsync();
            Assert.Equal(6, chart.GetProperty("totalEvents").GetInt32());
            Assert.Equal(6, await FinalCountAsync(project, name, t, t.AddHours(1)));
        }
        finally
        {
            await StartMergesAsync();
        }
    }

    [Fact]
    public async Task Exact_totals_read_through_events_by_time_equal_FINAL_over_events_as_charts_do()
    {
        // Revisions that change the metric, a tombstone, redelivered copies, and sessions whose roll-up moved them.
        var project = Tenants.D.ProjectId.ToString();
        var name = "final-" + Guid.NewGuid().ToString("N");
        var t = DateTimeOffset.UtcNow.AddDays(-1).AddHours(-3);
        var first = new List<Dictionary<string, object?>>();
        var later = new List<Dictionary<string, object?>>();
        for (var i = 0; i < 60; i++)
        {
            var session = "s-" + (i % 6).ToString(CultureInfo.InvariantCulture) + "-" + name;
            var id = Guid.NewGuid().ToString();
            var start = t.AddMinutes(i * 3);
            first.Add(Event(project, session, id, name, start, duration: i));
            if (i % 5 == 0) later.Add(Event(project, session, id, name, start, duration: 1000 + i, version: V2));
            if (i % 7 == 0) later.Add(Event(project, session, id, name, start, version: V2 + 1, deleted: 1));
            if (i % 4 == 0) later.Add(Event(project, session, id, name, start, duration: i));
        }

        for (var s = 0; s < 6; s++)
        {
            var session = "s-" + s.ToString(CultureInfo.InvariantCulture) + "-" + name;
            first.Add(Event(project, session, session, name, t.AddMinutes(200 + s), "session", duration: 1));
            later.Add(Event(project, session, session, name, t.AddMinutes(s), "session", duration: 500, version: V1 + 1));
        }

        await StopMergesAsync();
        try
        {
            await InsertAsync([.. first]);
            await InsertAsync([.. later]);
            var d = fixture.Client("key-d");
            var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new[] { new { field = "event_name", @operator = "is", value = name, type = "string" } }));
            var range = Uri.EscapeDataString(JsonSerializer.Serialize(new { start_time = Iso(t.AddHours(-1)), end_time = Iso(t.AddHours(5)) }));
            var chart = await (await d.GetAsync($"/v1/events/chart?metric=duration&aggregation=sum&bucket=hour&dateRange={range}&filters={filters}")).ReadJsonAsync();
            var points = chart.GetProperty("events").EnumerateArray().ToList();

            var expected = await fixture.Store.QueryAsync("""
                SELECT toInt64(toUnixTimestamp(toStartOfHour(start_time))) * 1000 AS t, toFloat64(sum(duration)) AS value, toInt64(count()) AS n
                FROM events FINAL
                WHERE project_id = {project:String} AND event_name = {name:String} AND is_deleted = 0
                GROUP BY t ORDER BY t
                """, new Dictionary<string, object?> { ["project"] = project, ["name"] = name }, CancellationToken.None);
            Assert.Equal(
                expected.Select(e => (e.GetProperty("t").GetInt64(), e.GetProperty("value").GetDouble(), e.GetProperty("n").GetInt64())),
                points.Select(p => (p.GetProperty("timestamp").GetInt64(), p.GetProperty("value").GetDouble(), p.GetProperty("count").GetInt64())));
            Assert.Equal(expected.Sum(e => e.GetProperty("n").GetInt64()), chart.GetProperty("totalEvents").GetInt64());

            var search = await (await d.PostAsJsonAsync("/v1/events/search", new
            {
                filters = new[] { new { field = "event_name", @operator = "is", value = name, type = "string" } },
                dateRange = new { start_time = Iso(t.AddHours(-1)), end_time = Iso(t.AddHours(5)) },
                limit = 1,
            })).ReadJsonAsync();
            Assert.False(search.GetProperty("total_is_estimate").GetBoolean());
            Assert.Equal(expected.Sum(e => e.GetProperty("n").GetInt64()), search.GetProperty("count").GetInt64());
        }
        finally
        {
            await StartMergesAsync();
        }
    }

    private async Task<long> FinalCountAsync(string project, string name, DateTimeOffset from, DateTimeOffset to)
    {
        var rows = await fixture.Store.QueryAsync("""
            SELECT toInt64(count()) AS n FROM events FINAL
            WHERE project_id = {project:String} AND event_name = {name:String} AND is_deleted = 0
              AND start_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND start_time <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
            """, new Dictionary<string, object?> { ["project"] = project, ["name"] = name, ["from"] = from.ToUnixTimeMilliseconds(), ["to"] = to.ToUnixTimeMilliseconds() },
            CancellationToken.None);
        return rows[0].GetProperty("n").GetInt64();
    }

    private static long TimeOf(JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.GetInt64()
        : DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private static Dictionary<string, object?> Event(
        string project, string session, string id, string name, DateTimeOffset start, string type = "tool", double duration = 5, ulong version = V1, int deleted = 0)
    {
        var row = Row(project, session, id, type == "session" ? "" : session, type, name, 0, duration, version: version, deleted: deleted);
        row["start_time"] = start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        row["end_time"] = start.UtcDateTime.AddMilliseconds(duration).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return row;
    }

    private static string Iso(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private Task InsertAsync(params Dictionary<string, object?>[] rows) =>
        fixture.Store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);

    private async Task StopMergesAsync()
    {
        foreach (var table in Tables) await fixture.Store.ExecuteAsync($"SYSTEM STOP MERGES {table}", null, CancellationToken.None);
    }

    private async Task StartMergesAsync()
    {
        foreach (var table in Tables) await fixture.Store.ExecuteAsync($"SYSTEM START MERGES {table}", null, CancellationToken.None);
    }
}
