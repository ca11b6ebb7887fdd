using System.Globalization;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HoneyHive.Platform.Faults;

/// <summary>
/// <c>GET /internal/faults/store-audit?run=ID</c>, mapped with the other fault routes (only when
/// <c>Faults:Enabled</c>): what the load harness cannot see through the public API, read from the
/// analytics store itself. The public reads collapse revisions (newest version of each event), so a
/// batch inserted twice looks the same as one inserted once; here the rows are counted as stored:
/// <list type="bullet">
/// <item><c>rows</c> / <c>revisions</c>: rows of the run's sessions in <c>events</c> without FINAL, and
/// distinct (event_id, version) among them: a difference is a revision stored twice and not merged yet.</item>
/// <item><c>view_rows</c> / <c>distinct_spans</c>: over the whole store, rows the
/// <c>project_event_details</c> view counted for non-session events, and distinct (event_id, version)
/// of those events in <c>events</c>. A view counts every insert and merges never take it back, so a
/// double insert stays visible there after the table's merges removed the copy.</item>
/// <item><c>session_prompt_tokens</c>: per session of the run, the prompt tokens the
/// <c>session_aggregates</c> view summed, for the harness to compare with what it sent.</item>
/// </list>
/// The harness owns the run id (the <c>bench_run_id</c> span attribute, kept in <c>metadata</c>);
/// the Host owns the chDB folder while it runs, which is why this is a route and not a file read.
/// </summary>
public static class StoreAuditRoutes
{
    private const string RunSessions =
        "SELECT session_id FROM events WHERE metadata['bench_run_id'] = {tag:String}";

    public static RouteHandlerBuilder MapStoreAudit(this IEndpointRouteBuilder group) =>
        group.MapGet("/store-audit", async (string run, IAnalyticsStore store, CancellationToken ct) =>
        {
            // Attribute values are kept as JSON text: the string "abc" is stored as "\"abc\"".
            var parameters = new Dictionary<string, object?> { ["tag"] = JsonSerializer.Serialize(run) };
            var counts = (await store.QueryAsync(
                "SELECT toString(count()) AS rows, toString(uniqExact(event_id, version)) AS revisions " +
                $"FROM events WHERE session_id IN ({RunSessions})", parameters, ct))[0];
            var view = (await store.QueryAsync(
                "SELECT toString(sum(event_count)) AS n FROM project_event_details WHERE event_type != 'session'", null, ct))[0];
            var distinct = (await store.QueryAsync(
                "SELECT toString(uniqExact(event_id, version)) AS n FROM events WHERE event_type != 'session' AND is_deleted = 0", null, ct))[0];
            var sessions = await store.QueryAsync(
                "SELECT session_id, toString(sum(prompt_tokens)) AS tokens FROM session_aggregates " +
                $"WHERE session_id IN ({RunSessions}) GROUP BY session_id", parameters, ct);
            return Results.Ok(new
            {
                run,
                rows = Number(counts, "rows"),
                revisions = Number(counts, "revisions"),
                view_rows = Number(view, "n"),
                distinct_spans = Number(distinct, "n"),
                session_prompt_tokens = sessions.ToDictionary(
                    s => s.GetProperty("session_id").GetString()!,
                    s => double.Parse(s.GetProperty("tokens").GetString()!, CultureInfo.InvariantCulture)),
            });
        });

    private static long Number(JsonElement row, string name) =>
        long.Parse(row.GetProperty(name).GetString() ?? "0", CultureInfo.InvariantCulture);
}
