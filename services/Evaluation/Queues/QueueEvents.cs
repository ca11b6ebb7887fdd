using System.Globalization;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Evaluation.Queues;

/// <summary>
/// The events side of a queue, read from the analytics store with the event search's own pieces (current revisions,
/// the same filter compiler), always inside the caller's project.
/// </summary>
public sealed class QueueEvents(IAnalyticsStore store, PayloadResolver payloads)
{
    /// <summary>Which of <paramref name="eventIds"/> are current events of the project (absent, deleted and other projects' are not).</summary>
    public async Task<IReadOnlySet<string>> ExistingAsync(Guid project, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0) return new HashSet<string>(StringComparer.Ordinal);
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select("event_id", new EventScope { EventIds = eventIds }, "1", parameters) + "\nLIMIT 1 BY event_id";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Select(r => r.GetProperty("event_id").GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The ids of the project's current events matching <paramref name="filters"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<string>> MatchingAsync(Guid project, IReadOnlyList<EventFilter> filters, int limit, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var condition = FilterCompiler.Compile(filters, parameters);
        var sql = CurrentEvents.Select("event_id, start_time", new EventScope(), condition, parameters)
                  + string.Create(CultureInfo.InvariantCulture, $"\nORDER BY start_time, event_id\nLIMIT {limit}");
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return [.. rows.Select(r => r.GetProperty("event_id").GetString()!)];
    }

    /// <summary>Whether one event of the project matches <paramref name="filters"/>.</summary>
    public async Task<bool> MatchesAsync(Guid project, string eventId, IReadOnlyList<EventFilter> filters, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select("event_id", new EventScope { EventId = eventId }, FilterCompiler.Compile(filters, parameters), parameters) + "\nLIMIT 1";
        return (await store.QueryAsync(sql, parameters.Values, cancellationToken)).Count > 0;
    }

    /// <summary>Checks that <paramref name="filters"/> compile (a value of the wrong type for its operator is a 400 here, not later).</summary>
    public static void Check(Guid project, IReadOnlyList<EventFilter> filters) => FilterCompiler.Compile(filters, new QueryParameters(project));

    /// <summary>The current revisions of <paramref name="eventIds"/> in the project, as the API writes events, by id.</summary>
    public async Task<IReadOnlyDictionary<string, JsonObject>> LoadAsync(Guid project, IReadOnlyCollection<string> eventIds, CancellationToken cancellationToken)
    {
        if (eventIds.Count == 0) return new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var parameters = new QueryParameters(project);
        var scope = new EventScope { EventIds = eventIds };
        var sql = CurrentEvents.Select(CurrentEvents.Columns, scope, "1", parameters) + CurrentEvents.OnePerEvent(scope);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var loaded = await payloads.LoadAsync(rows, project, cancellationToken);
        return rows.Select(r => EventRowJson.ToNode(r, loaded)).ToDictionary(e => e["event_id"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>Each event's <c>metrics.&lt;name&gt;</c> (absent when the event has no such score), for an agreement.</summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> MetricAsync(Guid project, IReadOnlyCollection<string> eventIds, string name, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (eventIds.Count == 0) return result;
        var parameters = new QueryParameters(project);
        var scope = new EventScope { EventIds = eventIds };
        var key = parameters.String(name);
        var sql = CurrentEvents.Select($"event_id, metrics[{key}] AS value, mapContains(metrics, {key}) AS present", scope, "1", parameters) + CurrentEvents.OnePerEvent(scope);
        foreach (var row in await store.QueryAsync(sql, parameters.Values, cancellationToken))
        {
            if (!IsTrue(row.GetProperty("present"))) continue;
            var text = row.GetProperty("value").GetString() ?? "null";
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                value = text;
            }
            result[row.GetProperty("event_id").GetString()!] = value;
        }
        return result;
    }

    private static bool IsTrue(System.Text.Json.JsonElement value) => value.ValueKind switch
    {
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.Number => value.GetInt32() != 0,
        System.Text.Json.JsonValueKind.String => value.GetString() is "1" or "true",
        _ => false,
    };
}
