using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>
/// Removes the archived rows of one project-day from ClickHouse, and the payloads they pointed to.
/// </summary>
/// <remarks>
/// Lightweight <c>DELETE FROM … WHERE</c>, not partition drops: events and events_by_time are partitioned by
/// month of start_time for every project together (0001, 0009), so no partition holds one project's day, and
/// repartitioning by (project, day) would make thousands of tiny partitions per month. A lightweight delete
/// masks the rows at once (reads stop seeing them) and merges drop them from disk; it touches only the
/// parts of that month, found through the sort key's project_id and the start_time index. A per-project TTL
/// cannot be written as a table TTL either, and it would remove rows before they are archived.
/// The predicate is the archiver's (<see cref="ProjectDayArchiver.DayRows"/>, same inserted_at bound), so rows
/// that arrived after the archive was written stay for the next sweep.
/// <para>No DELETE has a subquery: ClickHouse runs a mutation's subquery again in the background for every part it
/// mutates, and with one chDB shared by many concurrent tests such a DELETE once waited forever, holding the
/// project's sweep lock. What the subqueries would answer is read first, by ordinary queries.</para>
/// </remarks>
public sealed class ProjectDayRemover(IAnalyticsStore store, IObjectStore objects)
{
    /// <summary>Session ids per DELETE: each is one mutation over the month's parts, and its text holds the list.</summary>
    private const int SessionsPerDelete = 1_000;

    public async Task RemoveAsync(Guid project, DateOnly day, long asOfMillis, ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        var parameters = ProjectDayArchiver.Parameters(project, day, asOfMillis);
        // Session roll-ups first, while the events still say which sessions the day held: a session goes when none of
        // its events stays outside the removed rows. (The materialized views refill them when a restore inserts again.)
        var leaving = await store.QueryAsync(
            $$"""
            SELECT DISTINCT session_id FROM events WHERE {{ProjectDayArchiver.DayRows}}
              AND session_id NOT IN (SELECT session_id FROM events WHERE project_id = {project:String} AND NOT ({{ProjectDayArchiver.DayRows}}))
            """, parameters, cancellationToken);
        foreach (var chunk in leaving.Select(r => r.GetProperty("session_id").GetString()!).Chunk(SessionsPerDelete))
        {
            foreach (var table in new[] { "session_aggregates", "session_bounds" })
            {
                await store.ExecuteAsync(
                    $"DELETE FROM {table} WHERE project_id = {{project:String}} AND session_id IN {{sessions:Array(String)}}",
                    new Dictionary<string, object?> { ["project"] = project.ToString("D"), ["sessions"] = chunk }, cancellationToken);
            }
        }

        // events_by_time holds a copy of every events row (0009) but no inserted_at, so the whole day's copies go. A row
        // that arrived after the archive was cut stays in events, where the next sweep archives it; only its
        // time-ordered copy goes early, on a day already past the project's retention.
        await store.ExecuteAsync(
            """
            DELETE FROM events_by_time WHERE project_id = {project:String}
              AND start_time >= toDateTime64(toDate({day:String}), 6, 'UTC') AND start_time < toDateTime64(toDate({day:String}) + 1, 6, 'UTC')
            """, parameters, cancellationToken);
        await store.ExecuteAsync($"DELETE FROM events WHERE {ProjectDayArchiver.DayRows}", parameters, cancellationToken);

        // The payloads are in the archive now (the manifest lists what was copied).
        foreach (var key in manifest.PayloadKeys) await objects.DeleteAsync(key, cancellationToken);
    }
}
