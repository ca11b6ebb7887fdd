using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>Sessions: the trace tree, tombstoning, and the session list with exact per-session aggregates.</summary>
public sealed class SessionQueries(IAnalyticsStore store, QueryOptions options, PayloadResolver payloads)
{
    private static readonly string[] TokenAndCostKeys = ["cost", "total_tokens", "prompt_tokens", "completion_tokens"];

    /// <summary>
    /// What <see cref="Aggregates"/> reads of each current event: the typed columns (0006_events_typed_columns.sql, the
    /// metadata values as numbers) rather than the metadata map, whose compressed blocks of every granule holding one
    /// of the page's sessions were most of the list's time (the page's rows carry the wide columns).
    /// </summary>
    private const string AggregatedColumns = "event_id, session_id, event_type, has_error, feedback, cost, total_tokens, prompt_tokens, completion_tokens";

    private const string Aggregates = """
        session_id,
        countIf(event_type != 'session') AS num_events,
        countIf(event_type = 'model') AS num_model_events,
        countIf(event_type != 'session' AND has_error = 1) AS num_errors,
        max(length(feedback) > 0) AS has_feedback,
        sumIf(ifNull(cost, 0), event_type != 'session') AS cost,
        sumIf(ifNull(total_tokens, 0), event_type != 'session') AS total_tokens,
        sumIf(ifNull(prompt_tokens, 0), event_type != 'session') AS prompt_tokens,
        sumIf(ifNull(completion_tokens, 0), event_type != 'session') AS completion_tokens
        """;

    /// <summary>The session's current events as a tree (see <see cref="SessionTree"/>), or null when the project has none.</summary>
    /// <remarks>
    /// The session's stored rows are read as they lie (revisions and tombstones too) and the newest revision of each
    /// event is picked here: ordering the wide rows in SQL to pick it there made the statement about 2.5 times the
    /// plain read of the same rows (the 1,000-span session at 10M events: ~60 ms against 24). A session with more
    /// stored rows than <see cref="TreeRowsReadAsIs"/> is picked in SQL instead, so memory stays bounded.
    /// </remarks>
    public async Task<SessionTree?> TreeAsync(Guid project, string sessionId, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var scope = new EventScope { SessionId = sessionId };
        var bound = TreeRowsReadAsIs;
        var stored = await store.QueryAsync(
            CurrentEvents.StoredRows(CurrentEvents.Columns + ", toString(version) AS version_text, is_deleted", scope, parameters)
            + string.Create(CultureInfo.InvariantCulture, $"\nLIMIT {bound + 1}"),
            parameters.Values, cancellationToken);
        IReadOnlyList<JsonElement> rows;
        if (stored.Count <= bound)
        {
            rows = NewestLiving(stored, options.MaxTreeEvents);
        }
        else
        {
            parameters = new QueryParameters(project);
            var sql = CurrentEvents.Newest(CurrentEvents.Columns, scope, parameters)
                      + string.Create(CultureInfo.InvariantCulture, $"\nORDER BY start_ms, event_id\nLIMIT {options.MaxTreeEvents}");
            rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        }
        if (rows.Count == 0) return null;
        return new SessionTree(sessionId, rows, await payloads.LoadAsync(rows, project, cancellationToken));
    }

    /// <summary>Most stored rows of one session the tree reads as they lie and deduplicates here.</summary>
    private int TreeRowsReadAsIs => options.MaxTreeEvents + options.MaxTreeEvents / 4;

    /// <summary>
    /// The newest revision of each event among <paramref name="stored"/>, tombstones then dropped (so a deleted event
    /// never comes back in an older revision), in start time, event id order, at most <paramref name="max"/>.
    /// </summary>
    internal static List<JsonElement> NewestLiving(IReadOnlyList<JsonElement> stored, int max)
    {
        var newest = new Dictionary<string, (JsonElement Row, ulong Version)>(stored.Count, StringComparer.Ordinal);
        foreach (var row in stored)
        {
            var id = row.GetProperty("event_id").GetString()!;
            var version = ulong.Parse(row.GetProperty("version_text").GetString()!, CultureInfo.InvariantCulture);
            if (!newest.TryGetValue(id, out var kept) || version > kept.Version) newest[id] = (row, version);
        }

        return newest.Values
            .Where(n => EventRowJson.ReadInt64(n.Row.GetProperty("is_deleted")) == 0)
            .Select(n => n.Row)
            .OrderBy(r => EventRowJson.ReadInt64(r.GetProperty("start_ms")))
            .ThenBy(r => r.GetProperty("event_id").GetString(), StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    /// <summary>Tombstones every current event of the session (is_deleted = 1 revisions); false when the project has no such session.</summary>
    public Task<bool> DeleteAsync(Guid project, string sessionId, CancellationToken cancellationToken) =>
        EventTombstones.WriteAsync(store, project, new EventScope { SessionId = sessionId }, cancellationToken);

    /// <summary>
    /// A page of sessions (their session events, filtered and sorted like a search) with exact aggregates over
    /// the current events of each. The page comes from the sessions <see cref="SessionListWindow"/> picks when it
    /// can prove them, else from the whole project; the aggregates always from the page's sessions' events.
    /// </summary>
    /// <remarks>
    /// The aggregates are not read from <c>session_aggregates</c>: its sums count every client revision and
    /// deleted events (0002_session_aggregates.sql), its event count includes the session event and its tokens
    /// only model events, so it would answer differently from the events whenever an event was revised or
    /// deleted. Reading the page's sessions by key is exact and touches only their granules.
    /// </remarks>
    public async Task<SessionPage> ListAsync(Guid project, EventSearch search, CancellationToken cancellationToken)
    {
        var sessionsOnly = search with
        {
            Filters = [.. search.Filters, new EventFilter("event_type", "is", JsonSerializer.SerializeToElement("session"), "string")],
        };
        var queries = new EventQueries(store, payloads);
        var page = await SessionListWindow.PageAsync(store, queries, project, sessionsOnly, cancellationToken);
        long total;
        var estimated = false;
        if (page is null)
        {
            page = await queries.PageAsync(project, sessionsOnly, search.After, search.Limit, search.Offset, cancellationToken);
            total = await queries.CountAsync(project, sessionsOnly, cancellationToken);
        }
        else if (page.Next is null && page.Rows.Count > 0 && search.After is null)
        {
            // The last page, reached by offset: everything before it was counted by position.
            total = search.Offset + page.Rows.Count;
        }
        else if (search.Filters.Count == 0)
        {
            // Counting exactly would sort every session event of the range with FINAL, the read the window avoids.
            total = Math.Max(await SessionListWindow.EstimateAsync(store, project, search.Scope, cancellationToken), search.Offset + page.Rows.Count);
            estimated = true;
        }
        else
        {
            total = await queries.CountAsync(project, sessionsOnly, cancellationToken);
        }

        var ids = page.Rows.Select(r => r.GetProperty("session_id").GetString()!).Distinct(StringComparer.Ordinal).ToList();
        var aggregates = new Dictionary<string, IReadOnlyList<MetadataValue>>(StringComparer.Ordinal);
        if (ids.Count > 0)
        {
            var parameters = new QueryParameters(project);
            var current = CurrentEvents.Select(AggregatedColumns, new EventScope { SessionIds = ids }, "1", parameters) + "\nLIMIT 1 BY event_id";
            var rows = await store.QueryAsync($"SELECT {Aggregates} FROM ({current}) GROUP BY session_id", parameters.Values, cancellationToken);
            foreach (var row in rows) aggregates[row.GetProperty("session_id").GetString()!] = AggregateValues(row);
        }

        return new SessionPage(page, search.Projection, aggregates, total, estimated);
    }

    private static MetadataValue[] AggregateValues(JsonElement row)
    {
        var values = new List<MetadataValue>
        {
            MetadataValue.Of("num_events", EventRowJson.ReadInt64(row.GetProperty("num_events"))),
            MetadataValue.Of("num_model_events", EventRowJson.ReadInt64(row.GetProperty("num_model_events"))),
            MetadataValue.Of("num_errors", EventRowJson.ReadInt64(row.GetProperty("num_errors"))),
            MetadataValue.Of("has_feedback", EventRowJson.ReadInt64(row.GetProperty("has_feedback")) != 0),
        };
        foreach (var key in TokenAndCostKeys) values.Add(MetadataValue.Of(key, EventRowJson.ReadDouble(row.GetProperty(key))));
        return [.. values];
    }
}

/// <summary>
/// A page of the session list: the session events, each with its aggregates written over its metadata, the
/// total (<see cref="TotalIsEstimate"/> when it was estimated) and the next cursor.
/// </summary>
public sealed record SessionPage(
    EventPage Page, Projection? Projection, IReadOnlyDictionary<string, IReadOnlyList<MetadataValue>> Aggregates, long Total, bool TotalIsEstimate)
{
    public int Count => Page.Rows.Count;

    /// <summary><c>{"sessions": [...], "count": n, "total_is_estimate": b, "next_cursor": ...}</c>.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("sessions");
        foreach (var row in Page.Rows)
        {
            writer.WriteStartObject();
            EventRowJson.WriteFields(writer, row, Projection, Page.Payloads, Aggregates.GetValueOrDefault(row.GetProperty("session_id").GetString()!));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("count", Total);
        writer.WriteBoolean("total_is_estimate", TotalIsEstimate);
        if (Page.Next is null) writer.WriteNull("next_cursor");
        else writer.WriteString("next_cursor", Page.Next.Encode());
        writer.WriteEndObject();
    }
}

/// <summary>The answer of the session list routes, written straight into the response body.</summary>
public sealed class SessionPageResult(SessionPage page) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        page.Write(writer);
    }
}
