using System.Globalization;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// One current event of a run, without its wide buckets: what summaries, comparisons and pairing need.
/// <see cref="Matches"/> says whether the request's filters keep it; <see cref="Metrics"/> maps each
/// metric name to its stored JSON text.
/// </summary>
public sealed record RunEvent(
    string EventId,
    string SessionId,
    string EventType,
    string EventName,
    long StartMs,
    string DatapointId,
    bool Matches,
    IReadOnlyDictionary<string, string> Metrics);

/// <summary>The events of a run and the session each belongs to, with the datapoint each session ran.</summary>
public sealed record RunEventSet(IReadOnlyList<RunEvent> Events, IReadOnlyDictionary<string, string> SessionDatapoints)
{
    public static readonly RunEventSet Empty = new([], new Dictionary<string, string>());

    /// <summary>The datapoint a session ran, or the session id when it names none (an ad-hoc run).</summary>
    public string DatapointOf(string sessionId) =>
        SessionDatapoints.TryGetValue(sessionId, out var dp) && dp.Length > 0 ? dp : sessionId;
}

/// <summary>A field seen in run events, for filter pickers.</summary>
public sealed record RunSchemaField(string Name, string EventType);

/// <summary>
/// ClickHouse reads behind the run routes. A run's events are every current event of its sessions;
/// a session belongs to the run when any of its events carries <c>metadata.run_id</c> = the run (the
/// SDKs stamp it through baggage and the Writer copies it down) or when the run lists it in
/// event_ids / session_ids (the Python SDK's PUT /runs sends the session ids as event_ids).
/// Every statement filters on the caller's project; user values travel only as parameters.
/// </summary>
public sealed class RunEvents(IAnalyticsStore store, RunsOptions options)
{
    /// <summary>The run's events, in start order; <paramref name="filters"/> only set <see cref="RunEvent.Matches"/>.</summary>
    public async Task<RunEventSet> LoadAsync(
        Guid project, Run run, IReadOnlyList<EventFilter> filters, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(project, run, cancellationToken);
        if (sessions.Count == 0) return RunEventSet.Empty;

        var parameters = new QueryParameters(project);
        var matches = FilterCompiler.Compile(filters, parameters);
        var select = $"""
            event_id, session_id, event_type, event_name, toUnixTimestamp64Milli(start_time) AS start_ms,
            JSONExtractString(metadata['datapoint_id']) AS datapoint_id, ({matches}) AS matches, metrics
            """;
        var sql = CurrentEvents.Select(select, new EventScope { SessionIds = sessions, From = from, To = to }, "1", parameters)
                  + string.Create(CultureInfo.InvariantCulture,
                      $"\nORDER BY start_time, event_id\nLIMIT 1 BY event_id\nLIMIT {options.MaxRunEvents + 1}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        if (rows.Count > options.MaxRunEvents)
            throw ApiRequestException.BadRequest("run_id", $"The run has more than {options.MaxRunEvents} events; narrow it with dateRange.");

        var events = new List<RunEvent>(rows.Count);
        var datapoints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var metric in row.GetProperty("metrics").EnumerateObject()) metrics[metric.Name] = metric.Value.GetString() ?? "null";
            var e = new RunEvent(
                row.GetProperty("event_id").GetString()!,
                row.GetProperty("session_id").GetString()!,
                row.GetProperty("event_type").GetString()!,
                row.GetProperty("event_name").GetString()!,
                EventRowJson.ReadInt64(row.GetProperty("start_ms")),
                row.GetProperty("datapoint_id").GetString() ?? "",
                IsTrue(row.GetProperty("matches")),
                metrics);
            events.Add(e);
            // The session event's datapoint wins; children inherit it anyway, but may be missing it.
            if (e.DatapointId.Length > 0 && (e.EventType == "session" || !datapoints.ContainsKey(e.SessionId)))
                datapoints[e.SessionId] = e.DatapointId;
        }

        return new RunEventSet(events, datapoints);
    }

    /// <summary>Full event objects (all buckets) of the given ids among the run sessions.</summary>
    public async Task<IReadOnlyDictionary<string, JsonElement>> FullEventsAsync(
        Guid project, IReadOnlyCollection<string> sessions, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0) return new Dictionary<string, JsonElement>();
        var parameters = new QueryParameters(project);
        var condition = "event_id IN " + parameters.Strings(eventIds);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { SessionIds = sessions }, condition, parameters)
                  + "\nLIMIT 1 BY event_id";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.ToDictionary(r => r.GetProperty("event_id").GetString()!, StringComparer.Ordinal);
    }

    /// <summary>The bucket paths (<c>metrics.accuracy</c>, <c>inputs.question</c>) seen per event type in one run's events.</summary>
    public async Task<IReadOnlyList<RunSchemaField>> RunFieldsAsync(
        Guid project, Run run, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var sessions = await SessionsAsync(project, run, cancellationToken);
        if (sessions.Count == 0) return [];
        return await FieldsAsync(project, new EventScope { SessionIds = sessions, From = from, To = to }, "1", cancellationToken);
    }

    /// <summary>The bucket paths seen in any run's events of the project (events that carry metadata.run_id).</summary>
    public Task<IReadOnlyList<RunSchemaField>> ProjectFieldsAsync(Guid project, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken) =>
        FieldsAsync(project, new EventScope { From = from, To = to }, "mapContains(metadata, 'run_id')", cancellationToken);

    /// <summary>The dataset ids run events name in metadata.dataset_id (one run, or every run when <paramref name="run"/> is null).</summary>
    public async Task<IReadOnlyList<string>> DatasetIdsAsync(
        Guid project, Run? run, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var scope = new EventScope { From = from, To = to };
        if (run is not null)
        {
            var sessions = await SessionsAsync(project, run, cancellationToken);
            if (sessions.Count == 0) return [];
            scope = scope with { SessionIds = sessions };
        }

        var parameters = new QueryParameters(project);
        var current = CurrentEvents.Select(
            "JSONExtractString(metadata['dataset_id']) AS dataset_id", scope, run is null ? "mapContains(metadata, 'run_id')" : "1", parameters);
        var sql = string.Create(CultureInfo.InvariantCulture,
            $"SELECT DISTINCT dataset_id FROM ({current}) WHERE dataset_id != '' ORDER BY dataset_id LIMIT {options.MaxSchemaFields}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return [.. rows.Select(r => r.GetProperty("dataset_id").GetString()!)];
    }

    /// <summary>The distinct metric names of the current events of the given runs' sessions (for the run list).</summary>
    public async Task<IReadOnlyList<string>> MetricNamesAsync(Guid project, IReadOnlyList<Run> runs, CancellationToken cancellationToken)
    {
        if (runs.Count == 0) return [];
        var parameters = new QueryParameters(project);
        var membership = "JSONExtractString(metadata['run_id']) IN " + parameters.Strings([.. runs.Select(r => r.Id.ToString())]);
        var declared = runs.SelectMany(r => r.DeclaredIds).Distinct(StringComparer.Ordinal).ToList();
        if (declared.Count > 0) membership += " OR session_id IN " + parameters.Strings(declared);
        // The sessions first: they narrow the current-revision pick to the runs' part of the sort key.
        var sessionSql = string.Create(CultureInfo.InvariantCulture,
            $"SELECT DISTINCT session_id FROM events WHERE project_id = {QueryParameters.Project} AND ({membership}) LIMIT {options.MaxRunSessions}");
        var sessions = (await store.QueryAsync(sessionSql, parameters.Values, cancellationToken))
            .Select(r => r.GetProperty("session_id").GetString()!).ToList();
        if (sessions.Count == 0) return [];

        parameters = new QueryParameters(project);
        // Metric names are the keys with numeric or boolean values (not the *_explanation texts).
        var current = CurrentEvents.Select(
            "arrayJoin(mapKeys(mapFilter((k, v) -> JSONType(v) IN ('Int64', 'UInt64', 'Double', 'Bool'), metrics))) AS metric",
            new EventScope { SessionIds = sessions }, "length(metrics) > 0", parameters);
        var sql = string.Create(CultureInfo.InvariantCulture,
            $"SELECT DISTINCT toString(metric) AS metric FROM ({current}) ORDER BY metric LIMIT {options.MaxSchemaFields}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return [.. rows.Select(r => r.GetProperty("metric").GetString()!)];
    }

    /// <summary>The run's session ids: tagged with its run_id in any revision, or declared by the run.</summary>
    public async Task<IReadOnlyList<string>> SessionsAsync(Guid project, Run run, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var membership = "JSONExtractString(metadata['run_id']) = " + parameters.String(run.Id.ToString());
        var declared = run.DeclaredIds;
        if (declared.Count > 0)
        {
            var ids = parameters.Strings(declared);
            membership += $" OR session_id IN {ids} OR event_id IN {ids}";
        }

        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT DISTINCT session_id FROM events
            WHERE project_id = {QueryParameters.Project} AND ({membership})
            LIMIT {options.MaxRunSessions + 1}
            """);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        if (rows.Count > options.MaxRunSessions)
            throw ApiRequestException.BadRequest("run_id", $"The run has more than {options.MaxRunSessions} sessions.");
        return [.. rows.Select(r => r.GetProperty("session_id").GetString()!)];
    }

    private async Task<IReadOnlyList<RunSchemaField>> FieldsAsync(Guid project, EventScope scope, string condition, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        // Each bucket's keys prefixed with the bucket name: the paths the filter compiler accepts.
        var paths = string.Join(", ", EventField.Buckets.Order(StringComparer.Ordinal)
            .Select(b => $"arrayMap(k -> concat('{b}.', toString(k)), mapKeys({b}))"));
        var current = CurrentEvents.Select($"event_type, arrayConcat({paths}) AS paths", scope, condition, parameters);
        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT toString(event_type) AS event_type, field
            FROM ({current}) ARRAY JOIN paths AS field
            GROUP BY event_type, field
            ORDER BY event_type, field
            LIMIT {options.MaxSchemaFields}
            """);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var fields = rows.Select(r => new RunSchemaField(r.GetProperty("field").GetString()!, r.GetProperty("event_type").GetString()!)).ToList();
        // The top-level columns exist on every event type seen.
        foreach (var eventType in fields.Select(f => f.EventType).Distinct(StringComparer.Ordinal).ToList())
            fields.AddRange(EventField.Columns.Keys.Select(column => new RunSchemaField(column, eventType)));
        return fields;
    }

    private static bool IsTrue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.Number => value.GetInt64() != 0,
        JsonValueKind.String => value.GetString() is "1" or "true",
        _ => false,
    };
}
