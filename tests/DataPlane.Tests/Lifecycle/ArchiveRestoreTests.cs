using System.Security.Cryptography;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Tests.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Lifecycle;

/// <summary>Archive then restore, on one object store; run on the filesystem and on S3 (s3rver) below.</summary>
public abstract class ArchiveRestoreContract : IAsyncLifetime
{
    protected LifecycleHarness H { get; private set; } = null!;

    protected abstract Task<IObjectStore> CreateStoreAsync();

    public async Task InitializeAsync() => H = await LifecycleHarness.CreateAsync(await CreateStoreAsync());

    public async Task DisposeAsync() => await H.DisposeAsync();

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Archive_then_restore_gives_back_the_same_rows_and_restoring_twice_adds_none()
    {
        var project = await H.ProjectAsync(30);
        await H.InsertEventsAsync(project, [At("2026-02-01 10:00:00"), At("2026-02-01 11:30:00"), At("2026-02-03 00:00:00")], revisions: true);
        var payload = await H.InsertEventWithPayloadAsync(project, At("2026-02-03 05:00:00"));
        var before = await H.RowsAsync(project);
        var byTimeBefore = await H.CountByDayAsync(project, "events_by_time");

        await H.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Empty(await H.RowsAsync(project));

        var first = await H.Restorer.RestoreAsync(project, new DateOnly(2026, 2, 1), new DateOnly(2026, 2, 3), CancellationToken.None);
        Assert.Equal(
            [("2026-02-01", ArchiveRestorer.Restored), ("2026-02-02", ArchiveRestorer.NotArchived), ("2026-02-03", ArchiveRestorer.Restored)],
            first.Select(d => (d.Day, d.Status)));
        // Every column of every event's current revision, inserted_at included: the rows are the ones archived.
        Assert.Equal(before, await H.RowsAsync(project));
        var stored = await H.StoredRowsAsync(project);
        Assert.Equal(byTimeBefore, await H.CountByDayAsync(project, "events_by_time"));
        await using (var restored = await H.Objects.GetAsync(payload, CancellationToken.None)) Assert.NotNull(restored);

        var second = await H.Restorer.RestoreAsync(project, new DateOnly(2026, 2, 1), new DateOnly(2026, 2, 3), CancellationToken.None);
        Assert.Equal([ArchiveRestorer.AlreadyRestored, ArchiveRestorer.NotArchived, ArchiveRestorer.AlreadyRestored], second.Select(d => d.Status));
        // Counted without FINAL: a duplicate would be a row of its own here.
        Assert.Equal(stored, await H.StoredRowsAsync(project));
        Assert.Equal(before, await H.RowsAsync(project));
    }

    [Fact]
    public async Task The_manifest_names_the_file_its_rows_columns_and_checksum()
    {
        var project = await H.ProjectAsync(30);
        await H.InsertEventsAsync(project, [At("2026-02-01 10:00:00"), At("2026-02-01 12:00:00")]);
        await H.Sweeper.SweepAsync(CancellationToken.None);

        var day = new DateOnly(2026, 2, 1);
        var manifest = (await ProjectDayArchiver.ReadManifestAsync(H.Objects, project, day, CancellationToken.None))!;
        await using var file = (await H.Objects.GetAsync(manifest.FileKey, CancellationToken.None))!;
        using var bytes = new MemoryStream();
        await file.CopyToAsync(bytes);

        Assert.Equal((project, "2026-02-01", 4L), (manifest.ProjectId, manifest.Day, manifest.RowCount));
        Assert.Equal($"archive/{project:D}/2026-02-01/events.parquet", manifest.FileKey);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), manifest.Checksum);
        Assert.Equal(bytes.Length, manifest.Bytes);
        Assert.Contains(new ArchiveColumn("start_time", "DateTime64(6, 'UTC')"), manifest.Columns);
        Assert.Contains(new ArchiveColumn("inputs", "Map(LowCardinality(String), String)"), manifest.Columns);
        Assert.Equal("PAR1"u8.ToArray(), bytes.ToArray()[..4]);
    }

    [Fact]
    public async Task A_file_that_does_not_match_its_manifest_is_refused_and_nothing_is_loaded()
    {
        var project = await H.ProjectAsync(30);
        await H.InsertEventsAsync(project, [At("2026-02-01 10:00:00")]);
        await H.Sweeper.SweepAsync(CancellationToken.None);
        var day = new DateOnly(2026, 2, 1);
        using (var garbage = new MemoryStream("PAR1 not the archived bytes PAR1"u8.ToArray()))
            await H.Objects.PutAsync(ArchiveLayout.DataKey(project, day), garbage, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => H.Restorer.RestoreAsync(project, day, day, CancellationToken.None));

        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
        Assert.Empty(await H.RowsAsync(project));
    }
}

public sealed class FileSystemArchiveRestoreTests : ArchiveRestoreContract
{
    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new FileSystemObjectStore(
        Path.Combine(TestServers.DataDirectory, "lifecycle-objects", Guid.NewGuid().ToString("N")), NullLogger<FileSystemObjectStore>.Instance));
}

public sealed class S3ArchiveRestoreTests(S3PeerFixture peer) : ArchiveRestoreContract, IClassFixture<S3PeerFixture>
{
    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new S3ObjectStore(peer.Client, await peer.CreateBucketAsync(), NullLogger<S3ObjectStore>.Instance);
}
