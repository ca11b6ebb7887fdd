using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>What a restore did with one day of the asked range.</summary>
public sealed record RestoredDay(
    [property: JsonPropertyName("day")] string Day,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("rows")] long Rows);

/// <summary>
/// Loads archived days of a project back into ClickHouse, exactly once: a day restored is recorded in dpdb
/// (archive_restores) in the same step, and a day recorded is skipped. Should a process die between the insert and
/// the record, the retry inserts the same rows again; they are identical revisions (same sort key and version), which
/// every read already collapses (FINAL, as for the Writer's retried batches) and merges remove.
/// </summary>
public sealed class ArchiveRestorer(
    IAnalyticsStore store, IObjectStore objects, ProjectDayArchiver archiver,
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, TimeProvider clock)
{
    public const string Restored = "restored";
    public const string AlreadyRestored = "already_restored";
    public const string NotArchived = "not_archived";

    public async Task<IReadOnlyList<RestoredDay>> RestoreAsync(Guid project, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        // The sweep of this project (on any replica) finishes first, so a day is never removed while it is loaded.
        await using var held = await ProjectLock.TakeAsync(dpdb, RetentionSweeper.LockName(project), cancellationToken);
        var results = new List<RestoredDay>();
        for (var day = from; day <= to; day = day.AddDays(1))
            results.Add(await RestoreDayAsync(project, day, cancellationToken));
        return results;
    }

    private async Task<RestoredDay> RestoreDayAsync(Guid project, DateOnly day, CancellationToken cancellationToken)
    {
        var name = ArchiveLayout.Day(day);
        var manifest = await ProjectDayArchiver.ReadManifestAsync(objects, project, day, cancellationToken);
        if (manifest is null) return new RestoredDay(name, NotArchived, 0);

        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var recorded = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT row_count FROM archive_restores WHERE project_id = @project AND day = @day",
            new { project, day }, cancellationToken: cancellationToken));
        if (recorded is { } rows) return new RestoredDay(name, AlreadyRestored, rows);

        // Payloads before rows: a restored row that points to one can be read at once.
        foreach (var key in manifest.PayloadKeys)
            await archiver.CopyAsync(ArchiveLayout.ArchivedPayloadKey(project, day, key), key, cancellationToken);
        var bytes = await ProjectDayArchiver.ReadVerifiedAsync(objects, manifest, cancellationToken);
        await store.InsertAsync("events", "Parquet", bytes, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO archive_restores (project_id, day, row_count, restored_at) VALUES (@project, @day, @rows, @at)
            ON CONFLICT (project_id, day) DO NOTHING
            """, new { project, day, rows = manifest.RowCount, at = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return new RestoredDay(name, Restored, manifest.RowCount);
    }
}
