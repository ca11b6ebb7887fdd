using System.Globalization;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static HoneyHive.DataPlane.Tests.SeedData;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// The session list read through session_bounds windows (SessionListWindow) against what the events say,
/// computed here with FINAL over the whole project: the same sessions in the same order on every page, and the
/// same aggregates, for sessions whose rows make session_aggregates' sums wrong (a revised event, a deleted
/// session, a Writer roll-up row, an auto-created session). Each test has a project of its own.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SessionListTests(ApiFixture fixture)
{
    private static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SessionQueries sessions = new(fixture.Store, new QueryOptions(),
        new PayloadResolver(new ServiceCollection().BuildServiceProvider(), NullLogger<PayloadResolver>.Instance));

    [Fact]
    public async Task Every_page_by_cursor_and_by_number_equals_the_project_wide_order_and_aggregates()
    {
        var project = Guid.NewGuid();
        await InsertAsync(project);
        var expected = await ExpectedAsync(project);

        foreach (var order in new[] { "desc", "asc" })
        {
            var ordered = order == "desc" ? expected : [.. expected.Reverse()];
            var seen = new List<string>();
            string? cursor = null;
            do
            {
                var page = await ListAsync(project, new EventSearchRequest { Limit = 3, Cursor = cursor, Sort = new SortRequest("start_time", order) });
                foreach (var row in Sessions(page))
                {
                    var want = ordered[seen.Count];
                    Assert.Equal(want.Id, Id(row));
                    AssertAggregates(want, row);
                    seen.Add(Id(row));
                }

                cursor = page.GetProperty("next_cursor").GetString();
            }
            while (cursor is not null && seen.Count <= ordered.Count);

            Assert.Equal(ordered.Select(e => e.Id), seen);
        }

        var second = await ListAsync(project, new EventSearchRequest { Limit = 4, Page = 2 });
        Assert.Equal(expected.Skip(4).Take(4).Select(e => e.Id), Sessions(second).Select(Id));
        var last = await ListAsync(project, new EventSearchRequest { Limit = 4, Page = (expected.Count + 3) / 4 });
        Assert.Equal(JsonValueKind.Null, last.GetProperty("next_cursor").ValueKind);
        Assert.Equal(expected.Count, last.GetProperty("count").GetInt64());
        Assert.False(last.GetProperty("total_is_estimate").GetBoolean());
    }

    [Fact]
    public async Task Revised_deleted_and_auto_created_sessions_answer_what_their_current_events_say()
    {
        var project = Guid.NewGuid();
        await InsertAsync(project);

        var all = await ListAsync(project, new EventSearchRequest { Limit = 100 });
        var byId = Sessions(all).ToDictionary(Id);
        Assert.DoesNotContain(Deleted, byId.Keys);

        // The model call was revised from 100 tokens and 0.1 to 50 tokens and 0.05: only the current revision counts.
        var revised = byId[Revised].GetProperty("metadata");
        Assert.Equal(2, revised.GetProperty("num_events").GetInt64());
        Assert.Equal(1, revised.GetProperty("num_errors").GetInt64());
        Assert.Equal(0.05, revised.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(50, revised.GetProperty("total_tokens").GetDouble());
        // The session's own keys stay before the computed ones, the Writer's stale roll-up values are replaced in place.
        Assert.Equal(["customer", "num_events", "num_model_events", "cost", "num_errors", "has_feedback", "total_tokens", "prompt_tokens", "completion_tokens"],
            revised.EnumerateObject().Select(p => p.Name));

        var auto = byId[AutoCreated];
        Assert.Equal(SessionRollupName, auto.GetProperty("event_name").GetString());
        Assert.Equal(1, auto.GetProperty("metadata").GetProperty("num_events").GetInt64());
        Assert.Equal(0.2, auto.GetProperty("metadata").GetProperty("cost").GetDouble(), 9);

        // What session_aggregates holds for the revised session is the sum of both revisions: why the list does not read it.
        var stale = await fixture.Store.QueryAsync(
            "SELECT sum(cost) AS cost FROM session_aggregates WHERE project_id = {p:String} AND session_id = {s:String}",
            new Dictionary<string, object?> { ["p"] = project.ToString(), ["s"] = Revised }, CancellationToken.None);
        Assert.Equal(0.15, EventRowJson.ReadDouble(stale[0].GetProperty("cost")), 9);
    }

    [Fact]
    public async Task A_filter_matching_only_an_old_session_finds_it_beyond_the_first_window()
    {
        var project = Guid.NewGuid();
        await InsertAsync(project);

        var page = await ListAsync(project, new EventSearchRequest
        {
            Limit = 1,
            Filters = [new EventFilter("user_properties.user_id", "is", JsonSerializer.SerializeToElement("rare"), "string")],
        });

        Assert.Equal([Rare], Sessions(page).Select(Id));
        Assert.Equal(1, page.GetProperty("count").GetInt64());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task A_range_ending_before_the_recent_sessions_lists_only_the_older_ones()
    {
        var project = Guid.NewGuid();
        await InsertAsync(project);
        var expected = await ExpectedAsync(project);
        var to = Base.AddSeconds(PlainSessions / 2 * 60);

        var page = await ListAsync(project, new EventSearchRequest
        {
            Limit = 100,
            DateRange = JsonSerializer.SerializeToElement(new { start_time = From.ToUnixTimeMilliseconds(), end_time = new DateTimeOffset(to).ToUnixTimeMilliseconds() }),
        });

        Assert.Equal(expected.Where(e => e.StartMicros <= new DateTimeOffset(to).ToUnixTimeMilliseconds() * 1000).Select(e => e.Id), Sessions(page).Select(Id));
    }

    private const string Revised = "5e000000-0000-4000-8000-000000000001";
    private const string Deleted = "5e000000-0000-4000-8000-000000000002";
    private const string AutoCreated = "5e000000-0000-4000-8000-000000000003";
    private const string Rare = "5e000000-0000-4000-8000-000000000004";
    private const string SessionRollupName = "Session";
    private const int PlainSessions = 24;

    /// <summary>
    /// 24 plain sessions a minute apart (two of them starting at the same moment), and after them a revised session, a
    /// deleted one and an auto-created one; the oldest session alone has user_id "rare".
    /// </summary>
    private async Task InsertAsync(Guid projectId)
    {
        var p = projectId.ToString();
        var rows = new List<Dictionary<string, object?>>();
        for (var i = 0; i < PlainSessions; i++)
        {
            var id = i == 0 ? Rare : $"5e000000-0000-4000-8000-1{i:D11}";
            var start = i is 11 ? 10 * 60 : i * 60;
            rows.Add(Row(p, id, id, "", "session", "plain", start, 1000, userProperties: new { user_id = i == 0 ? "rare" : "common" }));
            rows.Add(Row(p, id, $"5e000000-0000-4000-8000-2{i:D11}", id, "model", "call", start + 1, 10, metadata: new { cost = 0.01 * i, total_tokens = i }));
        }

        var late = PlainSessions * 60;
        rows.Add(Row(p, Revised, Revised, "", "session", "revised", late, 5000, metadata: new { customer = "acme", num_events = 9, num_model_events = 9, cost = 9 }));
        // The Writer's roll-up revision (a derived version): stale values on the session row itself.
        rows.Add(Row(p, Revised, Revised, "", "session", "revised", late, 5000, metadata: new { customer = "acme", num_events = 9, num_model_events = 9, cost = 9 }, version: V1 + 1));
        rows.Add(Row(p, Revised, "5e000000-0000-4000-8000-3000000000a1", Revised, "model", "call", late + 1, 10, metadata: new { cost = 0.1, total_tokens = 100 }));
        rows.Add(Row(p, Revised, "5e000000-0000-4000-8000-3000000000a1", Revised, "model", "call", late + 1, 10, metadata: new { cost = 0.05, total_tokens = 50 }, version: V2));
        rows.Add(Row(p, Revised, "5e000000-0000-4000-8000-3000000000a2", Revised, "tool", "tool", late + 2, 10, error: "failed"));

        rows.Add(Row(p, Deleted, Deleted, "", "session", "deleted", late + 60, 100));
        rows.Add(Row(p, Deleted, "5e000000-0000-4000-8000-3000000000b1", Deleted, "model", "call", late + 61, 10, metadata: new { cost = 1 }));
        rows.Add(Row(p, Deleted, Deleted, "", "session", "deleted", late + 60, 100, version: V2, deleted: 1));
        rows.Add(Row(p, Deleted, "5e000000-0000-4000-8000-3000000000b1", Deleted, "model", "call", late + 61, 10, version: V2, deleted: 1));

        // session_auto_create: the Writer stores only its roll-up of the session (version 1), never a client row.
        rows.Add(Row(p, AutoCreated, "5e000000-0000-4000-8000-3000000000c1", AutoCreated, "model", "call", late + 120, 10, metadata: new { cost = 0.2, total_tokens = 20 }));
        rows.Add(Row(p, AutoCreated, AutoCreated, "", "session", SessionRollupName, late + 120, 10, metadata: new { num_events = 1, cost = 0.2 }, version: 1));
        await fixture.Store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
    }

    private sealed record Expected(string Id, long StartMicros, long Events, long Models, long Errors, double Cost, double Tokens);

    /// <summary>The session events and their aggregates as the events say, newest first: FINAL over the whole project.</summary>
    private async Task<IReadOnlyList<Expected>> ExpectedAsync(Guid project)
    {
        var rows = await fixture.Store.QueryAsync("""
            SELECT s.event_id AS id, toString(toUnixTimestamp64Micro(s.start_time)) AS start, a.events, a.models, a.errors, a.cost, a.tokens
            FROM (SELECT event_id, session_id, start_time FROM events FINAL WHERE project_id = {p:String} AND is_deleted = 0 AND event_type = 'session') AS s
            LEFT JOIN (
                SELECT session_id, toString(countIf(event_type != 'session')) AS events, toString(countIf(event_type = 'model')) AS models,
                       toString(countIf(event_type != 'session' AND ifNull(error, '') != '')) AS errors,
                       sumIf(JSONExtractFloat(metadata['cost']), event_type != 'session') AS cost,
                       sumIf(JSONExtractFloat(metadata['total_tokens']), event_type != 'session') AS tokens
                FROM events FINAL WHERE project_id = {p:String} AND is_deleted = 0 GROUP BY session_id) AS a
            ON a.session_id = s.session_id
            ORDER BY s.start_time DESC, s.event_id DESC
            """, new Dictionary<string, object?> { ["p"] = project.ToString() }, CancellationToken.None);
        return rows.Select(r => new Expected(
            r.GetProperty("id").GetString()!, long.Parse(r.GetProperty("start").GetString()!, CultureInfo.InvariantCulture),
            EventRowJson.ReadInt64(r.GetProperty("events")), EventRowJson.ReadInt64(r.GetProperty("models")),
            EventRowJson.ReadInt64(r.GetProperty("errors")), EventRowJson.ReadDouble(r.GetProperty("cost")),
            EventRowJson.ReadDouble(r.GetProperty("tokens")))).ToList();
    }

    private async Task<JsonElement> ListAsync(Guid project, EventSearchRequest request)
    {
        if (request.DateRange.ValueKind == JsonValueKind.Undefined)
            request = request with { DateRange = JsonSerializer.SerializeToElement(new { start_time = From.ToUnixTimeMilliseconds() }) };
        var page = await sessions.ListAsync(project, EventSearch.From(request, 1000), CancellationToken.None);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) page.Write(writer);
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    private static void AssertAggregates(Expected expected, JsonElement session)
    {
        var metadata = session.GetProperty("metadata");
        Assert.Equal(expected.Events, metadata.GetProperty("num_events").GetInt64());
        Assert.Equal(expected.Models, metadata.GetProperty("num_model_events").GetInt64());
        Assert.Equal(expected.Errors, metadata.GetProperty("num_errors").GetInt64());
        Assert.Equal(expected.Cost, metadata.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(expected.Tokens, metadata.GetProperty("total_tokens").GetDouble(), 9);
    }

    private static IEnumerable<JsonElement> Sessions(JsonElement page) => page.GetProperty("sessions").EnumerateArray();

    private static string Id(JsonElement e) => e.GetProperty("event_id").GetString()!;
}
