using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// One event while it is filled in, then written once as the event JSON the Writer reads (the shape of
/// <see cref="HoneyHive.Contracts.Events.EventRecord"/>, same names and order): a span's, as the OTLP
/// conventions map it, or an event API event's (<c>EventNormalizer</c>), whose buckets stay the client's
/// parsed objects unless normalization changes them. Client JSON parsed on the way stays in pooled
/// documents until the event is written.
/// </summary>
public sealed class SpanEvent : IDisposable
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private List<JsonDocument>? documents;

    private EventObject? inputs, outputs, config, metadata, metrics, feedback, userProperties;

    public required string EventId { get; set; }
    public required string ProjectId { get; init; }
    public required string OrgId { get; init; }
    public required string WorkspaceId { get; init; }
    public required string SessionId { get; set; }
    public string? ParentId { get; set; }
    public List<string>? ChildrenIds { get; init; }
    public required string EventType { get; init; }
    public string EventName { get; set; } = "unknown";
    public required string Source { get; set; }
    public double StartTime { get; set; }
    public double EndTime { get; set; }
    public double Duration { get; set; }
    public string? Error { get; set; }
    public bool SessionAutoCreate { get; init; }

    // Buckets are made when first used (null is written as {}): an event API event sets them to the client's objects.
    [AllowNull] public EventObject Inputs { get => inputs ??= new(); set => inputs = value; }
    [AllowNull] public EventObject Outputs { get => outputs ??= new(); set => outputs = value; }
    [AllowNull] public EventObject Config { get => config ??= new(); set => config = value; }
    [AllowNull] public EventObject Metadata { get => metadata ??= new(16); set => metadata = value; }
    [AllowNull] public EventObject Metrics { get => metrics ??= new(); set => metrics = value; }
    [AllowNull] public EventObject Feedback { get => feedback ??= new(); set => feedback = value; }
    [AllowNull] public EventObject UserProperties { get => userProperties ??= new(); set => userProperties = value; }

    /// <summary>Parses client JSON text (depth at most 64) whose elements stay valid until this event is disposed.</summary>
    public bool TryParse(string text, out JsonElement root)
    {
        try
        {
            var document = JsonDocument.Parse(text, ParseOptions);
            (documents ??= []).Add(document);
            root = document.RootElement;
            return true;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("event_id", EventId);
        writer.WriteString("project_id", ProjectId);
        writer.WriteString("org_id", OrgId);
        writer.WriteString("workspace_id", WorkspaceId);
        writer.WriteString("session_id", SessionId);
        if (ParentId is null) writer.WriteNull("parent_id");
        else writer.WriteString("parent_id", ParentId);
        if (ChildrenIds is null) writer.WriteNull("children_ids");
        else
        {
            writer.WriteStartArray("children_ids");
            foreach (var id in ChildrenIds) writer.WriteStringValue(id);
            writer.WriteEndArray();
        }
        writer.WriteString("event_type", EventType);
        writer.WriteString("event_name", EventName);
        writer.WriteString("source", Source);
        writer.WriteNumber("start_time", StartTime);
        writer.WriteNumber("end_time", EndTime);
        writer.WriteNumber("duration", Duration);
        if (Error is null) writer.WriteNull("error");
        else writer.WriteString("error", Error);
        WriteBucket(writer, "inputs", inputs);
        WriteBucket(writer, "outputs", outputs);
        WriteBucket(writer, "config", config);
        WriteBucket(writer, "metadata", metadata);
        WriteBucket(writer, "metrics", metrics);
        WriteBucket(writer, "feedback", feedback);
        WriteBucket(writer, "user_properties", userProperties);
        writer.WriteBoolean("session_auto_create", SessionAutoCreate);
        writer.WriteNumber("revision", 0);
        writer.WriteEndObject();
    }

    public void Dispose()
    {
        if (documents is null) return;
        foreach (var document in documents) document.Dispose();
        documents = null;
    }

    private static void WriteBucket(Utf8JsonWriter writer, string name, EventObject? bucket)
    {
        if (bucket is null)
        {
            writer.WriteStartObject(name);
            writer.WriteEndObject();
            return;
        }
        writer.WritePropertyName(name);
        EventJson.WriteObject(writer, bucket);
    }
}
