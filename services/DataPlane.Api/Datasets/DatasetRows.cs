namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>A dataset as read from dpdb, with its datapoint ids in the order they were added.</summary>
public sealed class DatasetRow
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string Type { get; set; } = "";
    public string PipelineType { get; set; } = "";
    public string[] LinkedEvals { get; set; } = [];
    public string? Metadata { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string[] Datapoints { get; set; } = [];
}

/// <summary>A datapoint as read from dpdb; the JSON columns as text, its datasets from the membership table.</summary>
public sealed class DatapointRow
{
    public Guid Id { get; set; }
    public string Inputs { get; set; } = "{}";
    public string History { get; set; } = "[]";
    public string? GroundTruth { get; set; }
    public string? Metadata { get; set; }
    public string? LinkedEvent { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string[] LinkedDatasets { get; set; } = [];
}

/// <summary>A new dataset's fields, validated.</summary>
public sealed record DatasetInput(
    string Name, string Description, string Type, string PipelineType, IReadOnlyList<string> LinkedEvals, string? Metadata, IReadOnlyList<Guid> Datapoints);

/// <summary>The fields a dataset update sets; null leaves a field as it is. <see cref="Datapoints"/> replaces the membership list.</summary>
public sealed record DatasetChange(
    string? Name, string? Description, IReadOnlyList<string>? LinkedEvals, string? Metadata, IReadOnlyList<Guid>? Datapoints);

/// <summary>A datapoint's JSON columns as text, each checked against the size limit.</summary>
public sealed record DatapointText(string Inputs, string History, string? GroundTruth, string? Metadata, string? LinkedEvent)
{
    /// <summary><paramref name="field"/> prefixes the names in errors (<c>data[3]</c>), or is empty for a top-level body.</summary>
    public static DatapointText From(NewDatapoint point, string field, int maxBytes) => new(
        JsonBody.Text(point.Inputs, Name(field, "inputs"), maxBytes),
        JsonBody.Text(point.History, Name(field, "history"), maxBytes),
        point.GroundTruth is null ? null : JsonBody.Text(point.GroundTruth, Name(field, "ground_truth"), maxBytes),
        point.Metadata is null ? null : JsonBody.Text(point.Metadata, Name(field, "metadata"), maxBytes),
        point.LinkedEvent);

    private static string Name(string field, string part) => field.Length == 0 ? part : $"{field}.{part}";
}

/// <summary>The fields a datapoint update sets; null leaves a field as it is. <see cref="LinkedDatasets"/> replaces the memberships.</summary>
public sealed record DatapointChange(
    string? Inputs, string? History, string? GroundTruth, string? Metadata, string? LinkedEvent, IReadOnlyList<Guid>? LinkedDatasets);
