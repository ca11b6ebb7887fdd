using System.Text.Json;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// One published event (the JSON shape of <see cref="HoneyHive.Contracts.Events.EventRecord"/>) → the row
/// of its client revision. Buckets keep each top-level value's JSON text exactly as ingestion wrote it.
/// </summary>
public static class EventRowReader
{
    public static EventRow Read(JsonElement element, string batchProjectId)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("an event is not a JSON object");
        var row = new EventRow { EventName = "unknown", Source = "unknown" };
        double start = 0, end = 0;
        ulong revision = 0;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "event_id": row.EventId = Text(value); break;
                case "project_id": row.ProjectId = Text(value); break;
                case "org_id": row.OrgId = Text(value); break;
                case "workspace_id": row.WorkspaceId = Text(value); break;
                case "session_id": row.SessionId = Text(value); break;
                case "parent_id": row.ParentId = Text(value); break;
                case "children_ids": row.ChildrenIds = Strings(value); break;
                case "event_type": row.EventType = Text(value); break;
                case "event_name": row.EventName = Text(value); break;
                case "source": row.Source = Text(value); break;
                case "start_time": start = Number(value); break;
                case "end_time": end = Number(value); break;
                case "duration": row.Duration = Number(value); break;
                case "error": row.Error = value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } error ? error : null; break;
                case "inputs": row.Inputs = Bucket(value); break;
                case "outputs": row.Outputs = Bucket(value); break;
                case "config": row.Config = Bucket(value); break;
                case "metadata": row.Metadata = Bucket(value); break;
                case "metrics": row.Metrics = Bucket(value); break;
                case "feedback": row.Feedback = Bucket(value); break;
                case "user_properties": row.UserProperties = Bucket(value); break;
                case "session_auto_create": row.SessionAutoCreate = value.ValueKind == JsonValueKind.True; break;
                case "revision": revision = value.ValueKind == JsonValueKind.Number ? value.GetUInt64() : 0; break;
            }
        }

        if (row.ProjectId.Length == 0) row.ProjectId = batchProjectId;
        row.StartMs = start;
        row.EndMs = end;
        row.Version = checked((revision + 1) * EventRow.ClientVersionUnit);
        return row;
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static double Number(JsonElement value) => value.ValueKind == JsonValueKind.Number ? value.GetDouble() : 0;

    private static List<string> Strings(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];

    private static Dictionary<string, string> Bucket(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return new(StringComparer.Ordinal);
        var map = new Dictionary<string, string>(value.GetPropertyCount(), StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject()) map[property.Name] = property.Value.GetRawText();
        return map;
    }
}
