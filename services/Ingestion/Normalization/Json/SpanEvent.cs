using System.Text.Json;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// One span's event while the conventions fill it in, then written once as the event JSON the Writer
/// reads (the shape of <see cref="HoneyHive.Contracts.Events.EventRecord"/>, same names and order).
/// Client JSON parsed on the way stays in pooled documents until the event is written.
/// </summary>
public sealed class SpanEvent : IDisposable
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private List<JsonDocument>? documents;

    public required string EventId { get; init; }
    public required string ProjectId { get; init; }
    public required string OrgId { get; init; }
    public required string WorkspaceId { get; init; }
    public required string SessionId { get; init; }
    public string? ParentId { get; set; }
    public required string EventType { get; init; }
    public string EventName { get; set; } = "unknown";
    public required string Source { get; init; }
    public double StartTime { get; init; }
    public double EndTime { get; init; }
    public double Duration { get; set; }
    public string? Error { get; set; }
    public bool SessionAutoCreate { get; init; }
    public EventObject Inputs { get; } = new();
    public EventObject Outputs { get; } = new();
    public EventObject Config { get; } = new();
    public EventObject Metadata { get; } = new(16);
    public EventObject Metrics { get; } = new();
    public EventObject Feedback { get; } = new();
    public EventObject UserProperties { get; } = new();

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
        writer.WriteNull("children_ids");
        writer.WriteString("event_type", EventType);
        writer.WriteString("event_name", EventName);
        writer.WriteString("source", Source);
        writer.WriteNumber("start_time", StartTime);
        writer.WriteNumber("end_time", EndTime);
        writer.WriteNumber("duration", Duration);
        if (Error is null) writer.WriteNull("error");
        else writer.WriteString("error", Error);
        WriteBucket(writer, "inputs", Inputs);
        WriteBucket(writer, "outputs", Outputs);
        WriteBucket(writer, "config", Config);
        WriteBucket(writer, "metadata", Metadata);
        WriteBucket(writer, "metrics", Metrics);
        WriteBucket(writer, "feedback", Feedback);
        WriteBucket(writer, "user_properties", UserProperties);
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

    private static void WriteBucket(Utf8JsonWriter writer, string name, EventObject bucket)
    {
        writer.WritePropertyName(name);
        EventJson.WriteObject(writer, bucket);
    }
}
