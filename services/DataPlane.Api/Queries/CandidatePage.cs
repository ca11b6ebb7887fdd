using System.Globalization;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// A page of current events over a whole project (or a time range of it) without FINAL, for the
/// searches, lists and exports whose scope names no session or event (see <see cref="CurrentEvents"/>).
/// <para>
/// 1. Candidates: the rows that match the filters, not being tombstones, in sort order, read without
/// FINAL, so ClickHouse reads only the sort, key and filter columns and stops at the top rows; from
/// <see cref="TimeOrderedEvents"/> when the filters name only its columns (sorted by time, it stops after the
/// newest granules), else from events. They may hold a stale revision that matched, or a revision inserted twice.
/// 2. Check: the current revision of exactly those keys, through the primary key (the semi-join of
/// <see cref="CurrentEvents.Select"/> narrowed to their sessions and events), wide columns read for
/// them only. A candidate stays only if its own revision is the current one, so a stale revision that
/// matched never comes back (its event's current revision did not match, or is a candidate of its own),
/// a tombstoned event never comes back (its current revision is the tombstone), and each event comes once.
/// 3. Enough? The kept candidates are exactly the first current matches in sort order up to the last
/// candidate read; when dropped candidates leave fewer than the page needs and more candidates exist,
/// read again deeper. After <see cref="MaxRounds"/> the caller falls back to FINAL (a project whose
/// rows are mostly stale revisions, before merges catch up).
/// </para>
/// </summary>
public static class CandidatePage
{
    public const int MaxRounds = 3;

    /// <summary>Most candidates one round reads; deeper pages (large offsets) go to FINAL.</summary>
    public const int MaxCandidates = 50_000;

    /// <summary>
    /// The rows <c>offset .. offset + count</c> of the current matches, with the columns of <paramref name="select"/>
    /// (which must include <c>event_id</c>), in sort order; null when the candidates
    /// did not settle it (the caller then reads with FINAL).
    /// </summary>
    public static async Task<List<JsonElement>?> ReadAsync(
        IAnalyticsStore store, Guid project, EventScope scope, Func<QueryParameters, string> condition, EventSort sort,
        string select, int offset, int count, CancellationToken cancellationToken)
    {
        var need = (long)offset + count;
        var depth = need + need / 4 + 16;
        var timeOrdered = TimeOrderedEvents.Covers(condition(new QueryParameters(project)));
        for (var round = 0; round < MaxRounds && depth <= MaxCandidates; round++, depth *= 4)
        {
            var parameters = new QueryParameters(project);
            const string keys = "event_id, session_id, toString(version) AS version_text";
            var sql = (timeOrdered
                          ? TimeOrderedEvents.Candidates(keys, scope, condition(parameters), parameters)
                          : CurrentEvents.Candidates(keys, scope, condition(parameters), parameters))
                      + string.Create(CultureInfo.InvariantCulture, $"\nORDER BY {sort.OrderBy}\nLIMIT {depth}");
            var candidates = await store.QueryAsync(sql, parameters.Values, cancellationToken);
            if (candidates.Count == 0) return [];

            var current = await CurrentRowsAsync(store, project, scope, candidates, select, cancellationToken);
            var kept = new List<JsonElement>(Math.Min(candidates.Count, (int)need));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                var id = candidate.GetProperty("event_id").GetString()!;
                if (!seen.Add(id) || !current.TryGetValue(id, out var row)) continue;
                if (row.GetProperty("version_text").GetString() != candidate.GetProperty("version_text").GetString())
                {
                    // This candidate is a stale revision; its event may still come later as a candidate of its own.
                    seen.Remove(id);
                    continue;
                }

                kept.Add(row);
                if (kept.Count == need) break;
            }

            // Fewer candidates than asked means none is left, so what was kept is the whole answer.
            if (kept.Count >= need || candidates.Count < depth)
                return kept.Skip(offset).Take(count).ToList();
        }

        return null;
    }

    /// <summary>The current, not deleted revision of each candidate's event, by event_id.</summary>
    private static async Task<Dictionary<string, JsonElement>> CurrentRowsAsync(
        IAnalyticsStore store, Guid project, EventScope scope, IReadOnlyList<JsonElement> candidates, string select, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var keys = scope with
        {
            EventIds = candidates.Select(c => c.GetProperty("event_id").GetString()!).Distinct(StringComparer.Ordinal).ToList(),
            SessionIds = candidates.Select(c => c.GetProperty("session_id").GetString()!).Distinct(StringComparer.Ordinal).ToList(),
        };
        var sql = CurrentEvents.Select(select + ", toString(version) AS version_text", keys, "1", parameters) + CurrentEvents.OnePerEvent(keys);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var byId = new Dictionary<string, JsonElement>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows) byId[row.GetProperty("event_id").GetString()!] = row;
        return byId;
    }
}
