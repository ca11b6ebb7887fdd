using System.Globalization;
using System.Text.Json.Serialization;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>
/// Where a project's archive lives in the object store: <c>archive/{project_id}/{yyyy-MM-dd}/</c> holds
/// <c>events.parquet</c> (every row of that UTC day), <c>manifest.json</c> (written last: a day without a
/// manifest is not archived) and <c>payloads/…</c> (the large inputs/outputs the rows point to, moved
/// out of <c>payloads/{project_id}/</c> with them). The encryption layer seals everything under
/// <c>archive/{project_id}/</c> with the project's key, so nothing here encrypts by itself.
/// </summary>
public static class ArchiveLayout
{
    public const string Root = "archive/";

    public static string ProjectPrefix(Guid project) => $"{Root}{project:D}/";

    public static string DayPrefix(Guid project, DateOnly day) => $"{ProjectPrefix(project)}{Day(day)}/";

    public static string DataKey(Guid project, DateOnly day) => DayPrefix(project, day) + "events.parquet";

    public static string ManifestKey(Guid project, DateOnly day) => DayPrefix(project, day) + "manifest.json";

    /// <summary>Where a payload key (<c>payloads/{project}/{event}/{version}/{bucket}.json</c>) is kept with its day's archive.</summary>
    public static string ArchivedPayloadKey(Guid project, DateOnly day, string payloadKey) =>
        DayPrefix(project, day) + payloadKey;

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>What <c>manifest.json</c> says about one archived day; the checksum is checked before a restore loads the file.</summary>
public sealed record ArchiveManifest(
    [property: JsonPropertyName("project_id")] Guid ProjectId,
    [property: JsonPropertyName("day")] string Day,
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("file_key")] string FileKey,
    [property: JsonPropertyName("row_count")] long RowCount,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("checksum")] string Checksum,
    [property: JsonPropertyName("columns")] IReadOnlyList<ArchiveColumn> Columns,
    [property: JsonPropertyName("payload_keys")] IReadOnlyList<string> PayloadKeys,
    [property: JsonPropertyName("archived_at")] DateTimeOffset ArchivedAt);

/// <summary>A column of the archived table as ClickHouse declares it.</summary>
public sealed record ArchiveColumn(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type);
