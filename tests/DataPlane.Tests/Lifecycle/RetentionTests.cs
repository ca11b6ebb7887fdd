using System.Text;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Lifecycle;

/// <summary>The retention sweep against chDB, dpdb and the filesystem store, at a fixed clock: what goes and what stays.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private LifecycleHarness h = null!;

    public async Task InitializeAsync() =>
        h = await LifecycleHarness.CreateAsync(new FileSystemObjectStore(
            Path.Combine(TestServers.DataDirectory, "lifecycle-objects", Guid.NewGuid().ToString("N")), NullLogger<FileSystemObjectStore>.Instance));

    public async Task DisposeAsync() => await h.DisposeAsync();

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_sweep_removes_exactly_the_days_older_than_the_retention_after_archiving_them()
    {
        // Now is 2026-03-15 12:00 UTC and the retention 30 days: the days before 2026-02-13 are wholly older than that.
        var project = await h.ProjectAsync(30);
        var patient = await h.ProjectAsync(90);
        await h.InsertEventsAsync(project, [At("2026-02-01 10:00:00"), At("2026-02-12 23:59:59.999999")]);
        await h.InsertEventsAsync(project, [At("2026-02-13 00:00:00"), At("2026-03-14 08:00:00")]);
        await h.InsertEventsAsync(patient, [At("2026-02-01 10:00:00")]);
        var oldPayload = await h.InsertEventWithPayloadAsync(project, At("2026-02-10 09:00:00"));
        var youngPayload = await h.InsertEventWithPayloadAsync(project, At("2026-03-01 09:00:00"));
        var patientBefore = await h.RowsAsync(patient);

        var result = await h.Sweeper.SweepAsync(CancellationToken.None);

        // The session started at 23:59:59.999999 goes; its model child, 5 ms later on 2026-02-13, stays: the boundary
        // is the event's own start, to the microsecond.
        Assert.Equal(new Dictionary<string, long> { ["2026-02-13"] = 3, ["2026-03-01"] = 1, ["2026-03-14"] = 2 }, await h.CountByDayAsync(project));
        Assert.Equal(new Dictionary<string, long> { ["2026-02-13"] = 3, ["2026-03-01"] = 1, ["2026-03-14"] = 2 }, await h.CountByDayAsync(project, "events_by_time"));
        Assert.Equal(patientBefore, await h.RowsAsync(patient));
        Assert.Equal(3, result.DaysArchived);
        Assert.Equal(4, result.RowsArchived);

        // The days removed are in the archive, each with its manifest; the kept day has none.
        var archived = await h.KeysAsync(ArchiveLayout.ProjectPrefix(project));
        foreach (var day in new[] { "2026-02-01", "2026-02-10", "2026-02-12" })
        {
            Assert.Contains($"archive/{project:D}/{day}/events.parquet", archived);
            Assert.Contains($"archive/{project:D}/{day}/manifest.json", archived);
        }
        Assert.DoesNotContain(archived, k => k.Contains("2026-02-13", StringComparison.Ordinal));

        // The old payload left with its row (into the archive); the young one is untouched.
        Assert.Null(await h.Objects.GetAsync(oldPayload, CancellationToken.None));
        Assert.Contains(ArchiveLayout.DayPrefix(project, new DateOnly(2026, 2, 10)) + oldPayload, archived);
        await using var young = await h.Objects.GetAsync(youngPayload, CancellationToken.None);
        Assert.NotNull(young);
    }

    [Fact]
    public async Task Dead_letters_go_when_older_than_the_longest_retention_of_any_project()
    {
        await h.ProjectAsync(10);
        await h.ProjectAsync(60); // the longest: letters of the last 60 days may hold its messages
        var old = "deadletters/events/2026/01/13/aaaa.json";   // 2026-01-13 < 2026-03-15 - 60 days = 2026-01-14
        var kept = "deadletters/events/2026/01/14/bbbb.json";
        var notALetter = "deadletters/events/readme.txt";
        foreach (var key in new[] { old, kept, notALetter })
        {
            using var content = new MemoryStream(Encoding.UTF8.GetBytes("{}"));
            await h.Objects.PutAsync(key, content, CancellationToken.None);
        }

        var result = await h.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(1, result.DeadLettersRemoved);
        Assert.Equal([kept, notALetter], (await h.KeysAsync("deadletters/")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_shortened_retention_takes_effect_at_the_next_sweep_and_a_longer_one_keeps_the_rows()
    {
        var project = await h.ProjectAsync(90);
        await h.InsertEventsAsync(project, [At("2026-02-01 10:00:00")]);

        await h.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(2, (await h.CountByDayAsync(project)).GetValueOrDefault("2026-02-01"));

        // What the controllers' sync writes when the CP shortens the retention.
        await using (var update = h.DataSource.CreateCommand("UPDATE projects SET retention_days = 30 WHERE id = $1"))
        {
            update.Parameters.AddWithValue(project);
            await update.ExecuteNonQueryAsync();
        }
        await h.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Empty(await h.CountByDayAsync(project));
    }

    [Fact]
    public async Task Rows_arriving_late_for_an_archived_day_join_its_one_file_at_the_next_sweep()
    {
        var project = await h.ProjectAsync(30);
        await h.InsertEventsAsync(project, [At("2026-02-01 10:00:00")]);
        await h.Sweeper.SweepAsync(CancellationToken.None);
        var late = await h.InsertEventsAsync(project, [At("2026-02-01 18:00:00")]);

        await h.Sweeper.SweepAsync(CancellationToken.None);

        var day = new DateOnly(2026, 2, 1);
        var manifest = await ProjectDayArchiver.ReadManifestAsync(h.Objects, project, day, CancellationToken.None);
        Assert.Equal(4, manifest!.RowCount);
        Assert.Equal(["events.parquet", "manifest.json"], (await h.KeysAsync(ArchiveLayout.DayPrefix(project, day))).Select(k => k.Split('/')[^1]));
        await h.Restorer.RestoreAsync(project, day, day, CancellationToken.None);
        var restored = await h.RowsAsync(project);
        Assert.Equal(4, restored.Count);
        Assert.All(late, id => Assert.Contains(restored, r => r.Contains(id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_restored_day_stays_for_the_hold_then_goes_again_and_can_be_restored_anew()
    {
        var project = await h.ProjectAsync(30);
        await h.InsertEventsAsync(project, [At("2026-02-01 10:00:00")]);
        await h.Sweeper.SweepAsync(CancellationToken.None);
        var day = new DateOnly(2026, 2, 1);
        await h.Restorer.RestoreAsync(project, day, day, CancellationToken.None);

        h.Clock.Advance(TimeSpan.FromDays(6));
        await h.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(2, (await h.CountByDayAsync(project)).GetValueOrDefault("2026-02-01"));

        h.Clock.Advance(TimeSpan.FromDays(2)); // past the 7-day hold
        await h.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Empty(await h.CountByDayAsync(project));
        Assert.Equal(2, (await ProjectDayArchiver.ReadManifestAsync(h.Objects, project, day, CancellationToken.None))!.RowCount);

        var again = await h.Restorer.RestoreAsync(project, day, day, CancellationToken.None);
        Assert.Equal(ArchiveRestorer.Restored, again.Single().Status);
        Assert.Equal(2, (await h.CountByDayAsync(project)).GetValueOrDefault("2026-02-01"));
    }

    [Fact]
    public async Task A_project_another_replica_is_sweeping_is_skipped()
    {
        var project = await h.ProjectAsync(30);
        await h.InsertEventsAsync(project, [At("2026-02-01 10:00:00")]);

        await using (await ProjectLock.TryTakeAsync(h.DataSource, RetentionSweeper.LockName(project), CancellationToken.None))
        {
            var skipped = await h.Sweeper.SweepProjectAsync(project, 30, CancellationToken.None);
            Assert.Equal((0, 0L), skipped);
            Assert.Equal(2, (await h.CountByDayAsync(project)).GetValueOrDefault("2026-02-01"));
        }

        Assert.Equal((1, 2L), await h.Sweeper.SweepProjectAsync(project, 30, CancellationToken.None));
    }
}
