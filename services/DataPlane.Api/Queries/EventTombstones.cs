using System.Globalization;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Deletion as ClickHouse's ReplacingMergeTree wants it: a newer revision of each event with
/// is_deleted = 1, which every read (<see cref="CurrentEvents"/>) then treats as gone and merges drop.
/// Used by session deletion (every event of the session) and event deletion (one event).
/// </summary>
public static class EventTombstones
{
    /// <summary>
    /// A tombstone's version: one client version unit (2^32, the writer's EventRow.ClientVersionUnit)
    /// above the event's newest revision, so a roll-up the writer computes later (newest + 1) cannot
    /// land above it by accident.
    /// </summary>
    private const ulong TombstoneStep = 1UL << 32;

    /// <summary>Tombstones every current event of the project in <paramref name="scope"/>; false when there is none.</summary>
    public static async Task<bool> WriteAsync(IAnalyticsStore store, Guid project, EventScope scope, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var exists = await store.QueryAsync(CurrentEvents.Select("1 AS found", scope, "1", parameters) + "\nLIMIT 1", parameters.Values, cancellationToken);
        if (exists.Count == 0) return false;

        // INSERT maps columns by position. The new version gets its own alias: ClickHouse aliases are
        // visible in WHERE, and "AS version" would turn the current-revision test against itself.
        // Copies keep session_id and start_time, so each tombstone shares its event's sort key and
        // partition and replaces it when parts merge.
        const string columns = """
            event_id, project_id, org_id, workspace_id, session_id, parent_id, children_ids, event_type, event_name, source,
            start_time, end_time, duration, error, inputs, outputs, config, metadata, metrics, feedback, user_properties
            """;
        var select = CurrentEvents.Select(
            columns + string.Create(CultureInfo.InvariantCulture, $", version + {TombstoneStep} AS tombstone_version, toUInt8(1) AS tombstone"),
            scope, "1", parameters) + "\nLIMIT 1 BY event_id";
        await store.ExecuteAsync($"INSERT INTO events ({columns}, version, is_deleted)\n{select}", parameters.Values, cancellationToken);
        return true;
    }
}
