using System.Security.Cryptography;
using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using Parquet;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>
/// Writes one project's events of one UTC day to the object store as Parquet, with the large payloads they point
/// to, and the manifest last. The file is ClickHouse's own <c>FORMAT Parquet</c> output: the engine that stores the
/// rows encodes them (Map, DateTime64, LowCardinality, Nullable map to Parquet's own types) and the same engine reads
/// them back on restore (<c>INSERT … FORMAT Parquet</c>, columns matched by name), so a round trip needs no type
/// mapping of ours that could drift. Parquet.Net only reads the written file's footer back as a check.
/// </summary>
public sealed class ProjectDayArchiver(IAnalyticsStore store, IObjectStore objects, TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The rows of (project, day) inserted up to <paramref name="asOf"/> (the server's clock, as <c>inserted_at</c> is).</summary>
    internal const string DayRows = """
        project_id = {project:String}
          AND start_time >= toDateTime64(toDate({day:String}), 6, 'UTC')
          AND start_time < toDateTime64(toDate({day:String}) + 1, 6, 'UTC')
          AND inserted_at <= fromUnixTimestamp64Milli({as_of:Int64}, 'UTC')
        """;

    /// <summary>
    /// Archives the day and returns its manifest. When the day was archived before (rows arrived late, or a restored
    /// day expires), the earlier archive is loaded back first so the new file holds the old rows and the new ones:
    /// still one file per project and day. Identical rows loaded twice are written once.
    /// </summary>
    public async Task<ArchiveManifest> ArchiveAsync(Guid project, DateOnly day, long asOfMillis, CancellationToken cancellationToken)
    {
        var parameters = Parameters(project, day, asOfMillis);
        var earlier = await ReadManifestAsync(objects, project, day, cancellationToken);
        if (earlier is not null) await LoadEarlierAsync(project, day, earlier, cancellationToken);

        var columns = await ColumnsAsync(cancellationToken);
        // LIMIT 1 BY keeps one copy of a revision the earlier archive and the table both held; without an earlier
        // archive no two rows share it and the clause costs a hash per row only.
        var dedup = earlier is null ? "" : " LIMIT 1 BY session_id, event_id, version";
        var parquet = await store.QueryFormattedAsync(
            $"SELECT * FROM events WHERE {DayRows} ORDER BY session_id, event_id, version{dedup} " +
            "SETTINGS output_format_parquet_compression_method = 'zstd'",
            parameters, "Parquet", cancellationToken);
        var rows = await CountRowsAsync(parquet, columns, cancellationToken);

        // A reference whose payload is gone (never written, removed by hand) is archived as the row holds it.
        var payloadKeys = new List<string>();
        foreach (var key in await PayloadKeysAsync(project, parameters, cancellationToken))
            if (await CopyAsync(key, ArchiveLayout.ArchivedPayloadKey(project, day, key), cancellationToken)) payloadKeys.Add(key);

        var fileKey = ArchiveLayout.DataKey(project, day);
        using (var content = new MemoryStream(parquet, writable: false)) await objects.PutAsync(fileKey, content, cancellationToken);
        var manifest = new ArchiveManifest(
            project, ArchiveLayout.Day(day), "events", "Parquet", fileKey, rows, parquet.LongLength,
            "sha256:" + Convert.ToHexStringLower(SHA256.HashData(parquet)), columns, payloadKeys, clock.GetUtcNow());
        using (var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, Json), writable: false))
            await objects.PutAsync(ArchiveLayout.ManifestKey(project, day), content, cancellationToken);
        return manifest;
    }

    internal static Dictionary<string, object?> Parameters(Guid project, DateOnly day, long asOfMillis) => new()
    {
        ["project"] = project.ToString("D"),
        ["day"] = ArchiveLayout.Day(day),
        ["as_of"] = asOfMillis,
    };

    public static async Task<ArchiveManifest?> ReadManifestAsync(IObjectStore objects, Guid project, DateOnly day, CancellationToken cancellationToken)
    {
        await using var stream = await objects.GetAsync(ArchiveLayout.ManifestKey(project, day), cancellationToken);
        return stream is null ? null : await JsonSerializer.DeserializeAsync<ArchiveManifest>(stream, Json, cancellationToken);
    }

    /// <summary>The archived file's bytes, refused when they are not what the manifest recorded.</summary>
    public static async Task<byte[]> ReadVerifiedAsync(IObjectStore objects, ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        await using var stream = await objects.GetAsync(manifest.FileKey, cancellationToken)
            ?? throw new InvalidDataException($"The archive file {manifest.FileKey} named by its manifest is missing.");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var checksum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (checksum != manifest.Checksum)
            throw new InvalidDataException($"The archive file {manifest.FileKey} does not match its manifest's checksum.");
        return bytes;
    }

    private async Task LoadEarlierAsync(Guid project, DateOnly day, ArchiveManifest earlier, CancellationToken cancellationToken)
    {
        var bytes = await ReadVerifiedAsync(objects, earlier, cancellationToken);
        await store.InsertAsync("events", "Parquet", bytes, cancellationToken);
        foreach (var key in earlier.PayloadKeys)
            await CopyAsync(ArchiveLayout.ArchivedPayloadKey(project, day, key), key, cancellationToken);
    }

    private async Task<IReadOnlyList<ArchiveColumn>> ColumnsAsync(CancellationToken cancellationToken)
    {
        // default_kind '' and DEFAULT are the columns SELECT * returns (MATERIALIZED and ALIAS are not).
        var rows = await store.QueryAsync(
            "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' " +
            "AND default_kind IN ('', 'DEFAULT') ORDER BY position", null, cancellationToken);
        return [.. rows.Select(r => new ArchiveColumn(r.GetProperty("name").GetString()!, r.GetProperty("type").GetString()!))];
    }

    /// <summary>The file's own row count, after checking it holds exactly the table's columns.</summary>
    private static async Task<long> CountRowsAsync(byte[] parquet, IReadOnlyList<ArchiveColumn> columns, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(parquet, writable: false);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        var names = reader.Schema.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var missing = columns.Where(c => !names.Contains(c.Name)).Select(c => c.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"The Parquet output lacks the columns {string.Join(", ", missing)}.");
        return reader.RowGroups.Sum(g => g.RowCount);
    }

    /// <summary>The project's payload keys the day's rows point to (a row holds a reference in inputs or outputs).</summary>
    private async Task<List<string>> PayloadKeysAsync(Guid project, Dictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        var rows = await store.QueryAsync(
            $"""
            SELECT DISTINCT reference FROM events
            ARRAY JOIN [inputs['{PayloadReference.MarkerKey}'], outputs['{PayloadReference.MarkerKey}']] AS reference
            WHERE {DayRows} AND reference != ''
            """, parameters, cancellationToken);
        var keys = new List<string>();
        foreach (var row in rows)
        {
            PayloadReference? reference;
            try
            {
                reference = JsonSerializer.Deserialize<PayloadReference>(row.GetProperty("reference").GetString()!);
            }
            catch (JsonException)
            {
                continue;
            }
            // A client could write a marker by hand: only this project's well-formed payload keys are followed.
            if (reference is not null && PayloadReference.BelongsTo(reference.Key, project.ToString("D"))) keys.Add(reference.Key);
        }
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>Copies an object; false when there is none to copy.</summary>
    internal async Task<bool> CopyAsync(string from, string to, CancellationToken cancellationToken)
    {
        await using var source = await objects.GetAsync(from, cancellationToken);
        if (source is null) return false;
        await objects.PutAsync(to, source, cancellationToken);
        return true;
    }
}
