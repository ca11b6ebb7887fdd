using System.Globalization;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>A datapoint's content before it is stored: JSON of inputs and history, and optional ground truth and metadata.</summary>
public sealed record NewDatapoint(JsonObject Inputs, JsonArray History, JsonObject? GroundTruth, JsonObject? Metadata, string? LinkedEvent);

/// <summary>
/// The spec's <c>DatapointMapping</c>: which fields of a source object become a datapoint's
/// inputs, history and ground truth. A field is a dotted path (<c>question</c>,
/// <c>inputs.question</c>, <c>inputs.chat_history.0</c>); a key that itself holds dots is matched
/// whole before the path is split. Under inputs and ground_truth a value is stored by the path's
/// last segment; a history path contributes the objects of its array (or the object itself).
/// A path absent from a source object is skipped for that object.
/// </summary>
public sealed record DatapointMapping(IReadOnlyList<string> Inputs, IReadOnlyList<string> History, IReadOnlyList<string> GroundTruth)
{
    private const int MaxPaths = 200;
    private const int MaxPathLength = 500;

    /// <summary>Events without a mapping: the event's inputs become the datapoint's, its feedback's ground truth the datapoint's.</summary>
    public static readonly DatapointMapping EventDefault = new(["inputs"], [], ["feedback.ground_truth"]);

    /// <summary>Reads <c>mapping</c> of a body; null when absent.</summary>
    public static DatapointMapping? Parse(JsonObject body, string name = "mapping")
    {
        var node = body[name];
        if (node is null) return null;
        if (node is not JsonObject mapping) throw ApiRequestException.BadRequest(name, $"{name} must be an object of inputs, history and ground_truth field lists.");
        return new DatapointMapping(Paths(mapping, name, "inputs"), Paths(mapping, name, "history"), Paths(mapping, name, "ground_truth"));
    }

    /// <summary>
    /// A data row of <c>POST /datasets/{id}/datapoints</c>: mapped fields go where the mapping says,
    /// every other top-level field is kept in metadata rather than dropped.
    /// </summary>
    public NewDatapoint FromData(JsonObject row, string field)
    {
        var inputs = new JsonObject();
        var groundTruth = new JsonObject();
        var history = new JsonArray();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Inputs) Collect(row, path, inputs, used, mergeWholeObject: false, "inputs");
        foreach (var path in GroundTruth) Collect(row, path, groundTruth, used, mergeWholeObject: false, "ground_truth");
        foreach (var path in History)
        {
            if (!TryResolve(row, path, out var value)) continue;
            used.Add(TopKey(row, path));
            if (!AppendHistory(history, value))
                throw ApiRequestException.BadRequest($"{field}.{path}", $"{field}.{path} must be a JSON object or an array of JSON objects to map to history.");
        }

        var metadata = new JsonObject();
        foreach (var (key, value) in row)
            if (!used.Contains(key)) metadata[key] = value?.DeepClone();
        return new NewDatapoint(inputs, history, groundTruth.Count > 0 ? groundTruth : null, metadata.Count > 0 ? metadata : null, null);
    }

    /// <summary>
    /// An event (as the API writes it) of <c>POST /datapoints/batch</c>. A path naming a whole
    /// bucket (<c>inputs</c>, <c>outputs</c>), or ending in the target's own name
    /// (<c>feedback.ground_truth</c> mapped to ground_truth), merges its object's keys instead of
    /// nesting them under that name; history
    /// values that are not objects are skipped, since traces carry whatever the application sent.
    /// </summary>
    public NewDatapoint FromEvent(JsonObject evt)
    {
        var inputs = new JsonObject();
        var groundTruth = new JsonObject();
        var history = new JsonArray();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Inputs) Collect(evt, path, inputs, used, mergeWholeObject: true, "inputs");
        foreach (var path in GroundTruth) Collect(evt, path, groundTruth, used, mergeWholeObject: true, "ground_truth");
        foreach (var path in History)
            if (TryResolve(evt, path, out var value)) AppendHistory(history, value);
        var eventId = evt["event_id"]?.GetValue<string>();
        return new NewDatapoint(inputs, history, groundTruth.Count > 0 ? groundTruth : null, null, eventId);
    }

    private static List<string> Paths(JsonObject mapping, string name, string part) =>
        JsonBody.StringArray(mapping, part, MaxPaths, $"{name}.{part}") is { } paths
            ? paths.Select((p, i) => p.Length <= MaxPathLength ? p : throw ApiRequestException.BadRequest($"{name}.{part}[{i}]", $"{name}.{part}[{i}] is longer than {MaxPathLength} characters.")).ToList()
            : [];

    private static void Collect(JsonObject source, string path, JsonObject target, HashSet<string> used, bool mergeWholeObject, string targetName)
    {
        if (!TryResolve(source, path, out var value)) return;
        used.Add(TopKey(source, path));
        var segment = LastSegment(source, path);
        if (mergeWholeObject && value is JsonObject whole && (!path.Contains('.', StringComparison.Ordinal) || segment == targetName))
        {
            foreach (var (key, item) in whole) target[key] = item?.DeepClone();
            return;
        }

        target[segment] = value?.DeepClone();
    }

    private static bool AppendHistory(JsonArray history, JsonNode? value)
    {
        switch (value)
        {
            case JsonObject message:
                history.Add(message.DeepClone());
                return true;
            case JsonArray messages:
                var allObjects = true;
                foreach (var item in messages)
                {
                    if (item is JsonObject o) history.Add(o.DeepClone());
                    else allObjects = false;
                }

                return allObjects;
            default:
                return false;
        }
    }

    /// <summary>Follows a dotted path, preferring the longest key that matches (keys may hold dots).</summary>
    public static bool TryResolve(JsonNode? node, string path, out JsonNode? value)
    {
        value = null;
        switch (node)
        {
            case JsonObject obj:
                if (obj.TryGetPropertyValue(path, out value)) return true;
                for (var dot = path.LastIndexOf('.'); dot > 0; dot = path.LastIndexOf('.', dot - 1))
                {
                    if (obj.TryGetPropertyValue(path[..dot], out var child) && TryResolve(child, path[(dot + 1)..], out value)) return true;
                }

                return false;
            case JsonArray array:
                var end = path.IndexOf('.', StringComparison.Ordinal);
                var head = end < 0 ? path : path[..end];
                if (!int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= array.Count) return false;
                if (end < 0)
                {
                    value = array[index];
                    return true;
                }

                return TryResolve(array[index], path[(end + 1)..], out value);
            default:
                return false;
        }
    }

    /// <summary>The top-level key a path starts with (the longest dotted prefix that is a key), for metadata bookkeeping.</summary>
    private static string TopKey(JsonObject source, string path)
    {
        if (source.ContainsKey(path)) return path;
        for (var dot = path.LastIndexOf('.'); dot > 0; dot = path.LastIndexOf('.', dot - 1))
            if (source.ContainsKey(path[..dot])) return path[..dot];
        return path;
    }

    /// <summary>The name a mapped value is stored under: the whole path when it is a key of the source, else its last segment.</summary>
    private static string LastSegment(JsonObject source, string path) =>
        source.ContainsKey(path) ? path : path[(path.LastIndexOf('.') + 1)..];
}
