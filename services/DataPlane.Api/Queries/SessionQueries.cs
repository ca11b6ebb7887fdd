using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>Sessions: the trace tree, tombstoning, and the session list with exact per-session aggregates.</summary>
public sealed class SessionQueries(IAnalyticsStore store, QueryOptions options, PayloadResolver payloads)
{
    private static readonly string[] TokenAndCostKeys = ["cost", "total_tokens", "prompt_tokens", "completion_tokens"];

    private const string Aggregates = """
        session_id,
        countIf(event_type != 'session') AS num_events,
        countIf(event_type = 'model') AS num_model_events,
        countIf(event_type != 'session' AND ifNull(error, '') != '') AS num_errors,
        max(length(mapKeys(feedback)) > 0) AS has_feedback,
        sumIf(JSONExtractFloat(metadata['cost']), event_type != 'session') AS cost,
        sumIf(JSONExtractFloat(metadata['total_tokens']), event_type != 'session') AS total_tokens,
        sumIf(JSONExtractFloat(metadata['prompt_tokens']), event_type != 'session') AS prompt_tokens,
        sumIf(JSONExtractFloat(metadata['completion_tokens']), event_type != 'session') AS completion_tokens,
        min(start_ms) AS first_start_ms,
        max(end_ms) AS last_end_ms
        """;

    /// <summary>
    /// The session with every current event nested under its parent (children by start time). The
    /// root is the session event; without one (spans whose session row has not arrived) a root is
    /// synthesized from the spans. Events whose parent is missing hang under the root, so nothing
    /// in the session is hidden.
    /// </summary>
    public async Task<JsonObject?> TreeAsync(Guid project, string sessionId, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { SessionId = sessionId }, "1", parameters)
                  + string.Create(CultureInfo.InvariantCulture, $"\nORDER BY start_ms, event_id\nLIMIT 1 BY event_id\nLIMIT {options.MaxTreeEvents}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        if (rows.Count == 0) return null;
        var loaded = await payloads.LoadAsync(rows, project, cancellationToken);

        var nodes = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var order = new List<(string Id, string Parent, JsonObject Node)>(rows.Count);
        JsonObject? root = null;
        foreach (var row in rows)
        {
            var node = EventRowJson.ToNode(row, loaded);
            node["children"] = new JsonArray();
            var id = row.GetProperty("event_id").GetString()!;
            nodes[id] = node;
            order.Add((id, row.GetProperty("parent_id").GetString() ?? "", node));
            if (row.GetProperty("event_type").GetString() == "session" && (root is null || id == sessionId)) root = node;
        }

        root ??= SyntheticRoot(sessionId, rows);
        foreach (var (id, parent, node) in order)
        {
            if (ReferenceEquals(node, root)) continue;
            var container = parent.Length > 0 && parent != id && nodes.TryGetValue(parent, out var p) && !IsDescendant(p, node) ? p : root;
            container["children"]!.AsArray().Add(node);
        }

        // Exact roll-ups of the current revisions, over any the writer stored on the session row.
        var metadata = root["metadata"] as JsonObject ?? [];
        root["metadata"] = metadata;
        var spans = rows.Where(r => r.GetProperty("event_type").GetString() != "session").ToList();
        metadata["num_events"] = spans.Count;
        metadata["num_model_events"] = spans.Count(r => r.GetProperty("event_type").GetString() == "model");
        metadata["has_feedback"] = rows.Any(r => r.GetProperty("feedback").EnumerateObject().Any());
        foreach (var key in TokenAndCostKeys)
            metadata[key] = spans.Sum(r => r.GetProperty("metadata").TryGetProperty(key, out var v) ? NumberOf(v.GetString()) : 0);
        return root;
    }

    /// <summary>Tombstones every current event of the session (is_deleted = 1 revisions); false when the project has no such session.</summary>
    public Task<bool> DeleteAsync(Guid project, string sessionId, CancellationToken cancellationToken) =>
        EventTombstones.WriteAsync(store, project, new EventScope { SessionId = sessionId }, cancellationToken);

    /// <summary>A page of sessions (their session events, filtered and sorted like a search) with exact aggregates over their events.</summary>
    public async Task<(IReadOnlyList<JsonObject> Sessions, long Total, Cursor? Next)> ListAsync(
        Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        var sessionsOnly = search with
        {
            Filters = [.. search.Filters, new EventFilter("event_type", "is", JsonSerializer.SerializeToElement("session"), "string")],
        };
        var queries = new EventQueries(store, payloads);
        var page = await queries.PageAsync(project, sessionsOnly, search.After, search.Limit, search.Offset, cancellationToken);
        var total = await queries.CountAsync(project, sessionsOnly, cancellationToken);
        var ids = page.Rows.Select(r => r.GetProperty("session_id").GetString()!).Distinct(StringComparer.Ordinal).ToList();
        var aggregates = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (ids.Count > 0)
        {
            var parameters = new QueryParameters(project);
            var current = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { SessionIds = ids }, "1", parameters) + "\nLIMIT 1 BY event_id";
            var rows = await store.QueryAsync($"SELECT {Aggregates} FROM ({current}) GROUP BY session_id", parameters.Values, cancellationToken);
            foreach (var row in rows) aggregates[row.GetProperty("session_id").GetString()!] = row;
        }

        var sessions = new List<JsonObject>(page.Rows.Count);
        foreach (var row in page.Rows)
        {
            var node = EventRowJson.ToNode(row, page.Payloads, search.Projection);

            if (aggregates.TryGetValue(row.GetProperty("session_id").GetString()!, out var a))
            {
                var metadata = node["metadata"] as JsonObject ?? [];
                node["metadata"] = metadata;
                metadata["num_events"] = EventRowJson.ReadInt64(a.GetProperty("num_events"));
                metadata["num_model_events"] = EventRowJson.ReadInt64(a.GetProperty("num_model_events"));
                metadata["num_errors"] = EventRowJson.ReadInt64(a.GetProperty("num_errors"));
                metadata["has_feedback"] = EventRowJson.ReadInt64(a.GetProperty("has_feedback")) != 0;
                foreach (var key in TokenAndCostKeys)
                    metadata[key] = EventRowJson.ReadDouble(a.GetProperty(key));
            }

            sessions.Add(node);
        }

        return (sessions, total, page.Next);
    }

    private static JsonObject SyntheticRoot(string sessionId, IReadOnlyList<JsonElement> rows)
    {
        var first = rows[0];
        var start = rows.Min(r => EventRowJson.ReadInt64(r.GetProperty("start_ms")));
        var end = rows.Max(r => EventRowJson.ReadInt64(r.GetProperty("end_ms")));
        return new JsonObject
        {
            ["event_id"] = sessionId,
            ["project_id"] = first.GetProperty("project_id").GetString(),
            ["org_id"] = first.GetProperty("org_id").GetString(),
            ["workspace_id"] = first.GetProperty("workspace_id").GetString(),
            ["session_id"] = sessionId,
            ["children_ids"] = new JsonArray(),
            ["event_type"] = "session",
            ["event_name"] = "session",
            ["source"] = first.GetProperty("source").GetString(),
            ["start_time"] = start,
            ["end_time"] = end,
            ["duration"] = end - start,
            ["error"] = null,
            ["config"] = new JsonObject(),
            ["inputs"] = new JsonObject(),
            ["outputs"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["metrics"] = new JsonObject(),
            ["feedback"] = new JsonObject(),
            ["user_properties"] = new JsonObject(),
            ["children"] = new JsonArray(),
        };
    }

    /// <summary>True when <paramref name="candidate"/> sits below <paramref name="node"/>: attaching it would make a cycle.</summary>
    private static bool IsDescendant(JsonObject candidate, JsonObject node)
    {
        for (JsonNode? current = candidate; current is not null; current = current.Parent?.Parent)
            if (ReferenceEquals(current, node)) return true;
        return false;
    }

    private static double NumberOf(string? json) =>
        json is not null && double.TryParse(json.Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
