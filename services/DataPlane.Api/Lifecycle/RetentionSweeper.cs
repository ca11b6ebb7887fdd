using System.Globalization;
using Dapper;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>What one sweep did.</summary>
public sealed record SweepResult(int Projects, int DaysArchived, long RowsArchived, int DeadLettersRemoved);

/// <summary>
/// One pass of retention over every project this DP holds: the UTC days that ended more than the project's
/// retention ago are archived (<see cref="ProjectDayArchiver"/>) and then removed (<see cref="ProjectDayRemover"/>),
/// a day at a time, so nothing is removed that is not in the archive. A row is removed when its day is wholly older
/// than the retention: rows younger than the retention are never touched; the oldest kept may be a day older.
/// </summary>
/// <remarks>
/// Dead letters (the Writer's, <c>{prefix}yyyy/MM/dd/</c>) mix the messages of many projects in one letter, so a
/// day of them goes when it is older than the longest retention of any project here: no project loses a letter
/// younger than its retention. Large payloads leave with their rows (into the archive). A payload whose row never
/// reached ClickHouse has no date to age it by and stays.
/// </remarks>
public sealed class RetentionSweeper(
    IAnalyticsStore store, IObjectStore objects, ProjectDayArchiver archiver, ProjectDayRemover remover,
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    IOptions<LifecycleOptions> options, TimeProvider clock, ILogger<RetentionSweeper> logger)
{
    public static string LockName(Guid project) => $"retention:{project:D}";

    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        List<(Guid Id, int RetentionDays)> projects;
        await using (var connection = await dpdb.OpenConnectionAsync(cancellationToken))
        {
            projects = [.. await connection.QueryAsync<(Guid, int)>(new CommandDefinition(
                "SELECT id, retention_days FROM projects ORDER BY id", cancellationToken: cancellationToken))];
        }

        int days = 0;
        long rows = 0;
        foreach (var (project, retentionDays) in projects)
        {
            var (projectDays, projectRows) = await SweepProjectAsync(project, retentionDays, cancellationToken);
            days += projectDays;
            rows += projectRows;
        }

        var longest = projects.Count == 0 ? LifecycleOptions.DefaultRetentionDays : projects.Max(p => Effective(p.RetentionDays));
        var letters = await SweepDeadLettersAsync(longest, cancellationToken);
        return new SweepResult(projects.Count, days, rows, letters);
    }

    /// <summary>Archives then removes the project's days older than its retention; skipped when another replica holds it.</summary>
    public async Task<(int Days, long Rows)> SweepProjectAsync(Guid project, int retentionDays, CancellationToken cancellationToken)
    {
        await using var held = await ProjectLock.TryTakeAsync(dpdb, LockName(project), cancellationToken);
        if (held is null) return (0, 0);

        var now = clock.GetUtcNow();
        var cutoff = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-Effective(retentionDays));
        // inserted_at is stamped by the ClickHouse server: the bound that keeps late rows for the next sweep is its clock.
        var asOf = (await store.QueryAsync("SELECT toUnixTimestamp64Milli(now64(3)) AS now", null, cancellationToken))[0].GetProperty("now").GetInt64();
        var dayRows = await store.QueryAsync(
            """
            SELECT toString(toDate(start_time)) AS day FROM events
            WHERE project_id = {project:String} AND start_time < toDateTime64(toDate({cutoff:String}), 6, 'UTC')
              AND inserted_at <= fromUnixTimestamp64Milli({as_of:Int64}, 'UTC')
            GROUP BY day ORDER BY day
            """,
            new Dictionary<string, object?> { ["project"] = project.ToString("D"), ["cutoff"] = ArchiveLayout.Day(cutoff), ["as_of"] = asOf },
            cancellationToken);

        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var heldDays = (await connection.QueryAsync<DateTime>(new CommandDefinition(
            "SELECT day FROM archive_restores WHERE project_id = @project AND restored_at > @since",
            new { project, since = now - options.Value.RestoredHold }, cancellationToken: cancellationToken)))
            .Select(DateOnly.FromDateTime).ToHashSet();

        int days = 0;
        long rows = 0;
        foreach (var row in dayRows)
        {
            var day = DateOnly.ParseExact(row.GetProperty("day").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (heldDays.Contains(day)) continue;
            var manifest = await archiver.ArchiveAsync(project, day, asOf, cancellationToken);
            await remover.RemoveAsync(project, day, asOf, manifest, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM archive_restores WHERE project_id = @project AND day = @day", new { project, day }, cancellationToken: cancellationToken));
            logger.LogInformation("Retention: archived and removed {Rows} rows of project {Project} on {Day}", manifest.RowCount, project, manifest.Day);
            days++;
            rows += manifest.RowCount;
        }
        return (days, rows);
    }

    private async Task<int> SweepDeadLettersAsync(int longestRetentionDays, CancellationToken cancellationToken)
    {
        await using var held = await ProjectLock.TryTakeAsync(dpdb, "retention:deadletters", cancellationToken);
        if (held is null) return 0;
        var prefix = options.Value.DeadLetterPrefix;
        var cutoff = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-longestRetentionDays);
        var old = new List<string>();
        await foreach (var key in objects.ListAsync(prefix, cancellationToken))
        {
            // yyyy/MM/dd/<id>.json below the prefix; anything else is not a dead letter of ours and stays.
            var parts = key[prefix.Length..].Split('/');
            if (parts.Length == 4 && DateOnly.TryParseExact($"{parts[0]}-{parts[1]}-{parts[2]}", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && day < cutoff)
                old.Add(key);
        }
        foreach (var key in old) await objects.DeleteAsync(key, cancellationToken);
        return old.Count;
    }

    private static int Effective(int retentionDays) => retentionDays > 0 ? retentionDays : LifecycleOptions.DefaultRetentionDays;
}
