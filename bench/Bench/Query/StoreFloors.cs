using System.Globalization;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Bench.Query;

/// <summary>
/// The floor under each scenario on this machine: the least the store must read to hold its answer, as plain
/// statements with no revision check (no FINAL, no semi-join: so a floor may count a stale revision the real read
/// drops), through the same store interface, so the rows are also parsed. A route cannot be faster than its floor;
/// the scenario's time over its floor says how much is ours (revision checks, several statements, JSON) and how much
/// is the store's. Each floor names its scenario; its answer is checked as the scenarios' are.
/// </summary>
public sealed class StoreFloors(IAnalyticsStore store, Guid project, string largeSessionId, DateTimeOffset loadedAt)
{
    public IReadOnlyList<Scenario> All() => [Tree(), Search(), Search24h(), SessionList(), Chart(), Export()];

    /// <summary>Every stored row of the 1,000-span session, with the columns the tree writes; the sorting key finds them.</summary>
    public Scenario Tree() => Floor("tree", "every row of the 1,000-span session by key, the tree's columns", "SELECT event_id, parent_id, children_ids, event_type, event_name, source, start_time, end_time, duration, error, config, inputs, outputs, metadata, metrics, feedback, user_properties FROM events WHERE project_id = {project:String} AND session_id = {session:String}",
        rows => rows >= TraceGenerator.LargeSessionSpans);

    /// <summary>The search's total (a count of the time-ordered copy) and its page (100 wide rows ordered by time).</summary>
    public Scenario Search() => SearchFloor("search", null);

    public Scenario Search24h() => SearchFloor("search_24h", loadedAt - TimeSpan.FromHours(24));

    private Scenario SearchFloor(string name, DateTimeOffset? from)
    {
        var range = from is null ? "" : " AND start_time >= fromUnixTimestamp64Micro({from:Int64}, 'UTC')";
        var filter = $"project_id = {{project:String}} AND event_type = 'model' AND cost > {DataPlaneScenarios.CostThreshold.ToString(CultureInfo.InvariantCulture)}{range}";
        return Floors(name, $"count of model events with cost > {DataPlaneScenarios.CostThreshold} on events_by_time, then the newest 100 wide rows{(from is null ? "" : ", last 24 hours")}",
            from,
            [($"SELECT count() AS n FROM events_by_time WHERE {filter}", null),
             ($"SELECT * FROM events WHERE {filter} ORDER BY start_time DESC LIMIT 100", rows => rows == 100)]);
    }

    /// <summary>The newest 100 session rows of the last 7 days, wide, and the sums over their sessions' events.</summary>
    public Scenario SessionList()
    {
        const string sql = """
            SELECT session_id, count() AS events, sum(ifNull(cost, 0)) AS cost, sum(ifNull(total_tokens, 0)) AS tokens, sum(has_error) AS errors
            FROM events
            WHERE project_id = {project:String} AND session_id IN (
                SELECT session_id FROM events_by_time
                WHERE project_id = {project:String} AND event_type = 'session' AND start_time >= fromUnixTimestamp64Micro({from:Int64}, 'UTC')
                ORDER BY start_time DESC LIMIT 100)
            GROUP BY session_id
            """;
        const string page = "SELECT * FROM events WHERE project_id = {project:String} AND event_type = 'session' AND start_time >= fromUnixTimestamp64Micro({from:Int64}, 'UTC') ORDER BY start_time DESC LIMIT 100";
        return Floors("session_list", "the newest 100 session rows of the last 7 days (wide), and sums over their sessions' events by key",
            DateTimeOffset.UtcNow - TimeSpan.FromDays(7), [(page, rows => rows == 100), (sql, rows => rows == 100)]);
    }

    /// <summary>Average duration per day over every row of the project, on the narrow time-ordered copy.</summary>
    public Scenario Chart() => Floor("chart", "average duration per day over every row of the project (events_by_time, no FINAL)",
        "SELECT toStartOfDay(start_time) AS day, avg(duration) AS value, count() AS n FROM events_by_time WHERE project_id = {project:String} GROUP BY day ORDER BY day",
        rows => rows >= 30);

    /// <summary>
    /// 100,000 wide rows of the project as stored, in no order: sorting that many wide rows in one statement exceeds the
    /// store's per-statement memory budget (1 GiB, measured at 10M events), which is why the export reads in chunks.
    /// </summary>
    public Scenario Export() => Floor("export", $"{HttpScenarios.ExportRows:N0} wide rows of the project in storage order (sorted, one statement exceeds the store's memory budget)",
        $"SELECT * FROM events WHERE project_id = {{project:String}} LIMIT {HttpScenarios.ExportRows}",
        rows => rows == HttpScenarios.ExportRows, repetitions: 3, warmups: 1);

    private Scenario Floor(string name, string description, string sql, Func<int, bool> check, int? repetitions = null, int? warmups = null) =>
        Floors(name, description, null, [(sql, check)], repetitions, warmups);

    private Scenario Floors(string name, string description, DateTimeOffset? from, IReadOnlyList<(string Sql, Func<int, bool>? Check)> statements,
        int? repetitions = null, int? warmups = null)
    {
        var parameters = new Dictionary<string, object?> { ["project"] = project.ToString(), ["session"] = largeSessionId };
        if (from is { } moment) parameters["from"] = (moment.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return new Scenario(name, description, async ct =>
        {
            var counts = new List<int>();
            foreach (var (sql, check) in statements)
            {
                var rows = await store.QueryAsync(sql, parameters, ct);
                if (check is not null && !check(rows.Count))
                    throw new InvalidOperationException($"The {name} floor's statement returned {rows.Count} rows: {sql}");
                counts.Add(rows.Count);
            }
            return $"{string.Join(" + ", counts)} rows";
        }, repetitions, warmups);
    }
}
