using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>How strictly a route reads an event object.</summary>
/// <param name="RejectUnknownFields">
/// The /v1 routes' schemas are closed (additionalProperties: false): an unknown field is a 400.
/// The legacy routes are open, and unknown fields land in metadata as HoneyHive's enrichment does.
/// </param>
public readonly record struct EventReadOptions(bool RejectUnknownFields);

/// <summary>
/// Turns one client event object (HoneyHive's API shape) into the wide <see cref="EventRecord"/>,
/// applying HoneyHive's defaults (docs: HONEYHIVE-DATA-MODEL.md) and refusing what it refuses.
/// Every refusal names the field (with <c>path</c>, e.g. <c>events[2].inputs</c>) and what to send.
/// </summary>
public sealed class EventNormalizer(IngestLimits limits, TimeProvider clock)
{
    public static readonly string[] EventTypes = ["session", "model", "tool", "chain"];

    private static readonly HashSet<string> ObjectBuckets = new(StringComparer.Ordinal)
        { "config", "inputs", "outputs", "metadata", "metrics", "feedback", "user_properties" };

    /// <summary>Fields of the event schema; anything else is unknown.</summary>
    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "project", "project_id", "source", "event_name", "event_type", "event_id", "session_id", "parent_id",
        "children_ids", "config", "inputs", "outputs", "error", "start_time", "end_time", "duration",
        "metadata", "feedback", "metrics", "user_properties",
    };

    /// <summary>Fields of the session schema beyond the event's.</summary>
    private static readonly HashSet<string> SessionOnlyFields = new(StringComparer.Ordinal) { "session_name" };

    /// <summary>The closed /v1/sessions schema (StartSessionRequest).</summary>
    private static readonly HashSet<string> V1SessionFields = new(StringComparer.Ordinal)
    {
        "session_id", "session_name", "event_name", "source", "start_time", "end_time", "duration",
        "config", "inputs", "outputs", "metadata", "user_properties", "children_ids",
    };

    /// <summary>An event for POST /events, /v1/events and the batch routes: event_type and inputs are required.</summary>
    public EventRecord Event(JsonObject body, Tenant tenant, EventReadOptions options, string path)
    {
        CheckFields(body, options, path, session: false);
        var eventType = RequiredEventType(body, path);
        var inputs = OptionalObject(body, "inputs", path)
            ?? throw ApiRequestException.BadRequest(Field(path, "inputs"), $"'{Field(path, "inputs")}' is required: send an object with the event's inputs (it may be empty: {{}}).");
        var record = Common(body, tenant, path, eventType, inputs);
        record.SessionId = OptionalId(body, "session_id", path, tenant) ?? Guid.NewGuid().ToString();
        if (eventType == "session")
        {
            // A session event is the session: its event id is the session id and it has no parent.
            record.EventId = record.SessionId;
            record.ParentId = null;
        }
        else
        {
            record.EventId = OptionalId(body, "event_id", path, tenant) ?? Guid.NewGuid().ToString();
            record.ParentId = OptionalId(body, "parent_id", path, tenant) ?? record.SessionId;
        }
        return Finish(record, body);
    }

    /// <summary>
    /// A session for POST /session/start and /v1/sessions: nothing is required. A session id that is
    /// not a UUID is replaced; EventIds.Normalize maps it to a UUID derived from (project, id), so
    /// the same client id sent again (or used later as the session_id of events) lands in the same
    /// session instead of a fresh random UUID each time.
    /// </summary>
    public EventRecord Session(JsonObject body, Tenant tenant, EventReadOptions options, string path)
    {
        CheckFields(body, options, path, session: true);
        if (body["event_type"] is not null)
        {
            var type = RequiredEventType(body, path);
            if (type != "session")
                throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' must be \"session\" (or absent) when starting a session, not \"{type}\".");
        }
        var inputs = OptionalObject(body, "inputs", path) ?? [];
        var record = Common(body, tenant, path, "session", inputs);
        record.SessionId = OptionalId(body, "session_id", path, tenant) ?? Guid.NewGuid().ToString();
        record.EventId = record.SessionId;
        record.ParentId = null;
        // event_name falls back to session_name, then "unknown" (StartSessionRequest).
        var sessionName = OptionalString(body, "session_name", path);
        if (OptionalString(body, "event_name", path) is null && sessionName is not null) record.EventName = sessionName;
        return Finish(record, body);
    }

    /// <summary>
    /// An update (PUT /events with event_id in the body, PUT /v1/events/{event_id} with it in the path).
    /// Fields other than the updatable ones are ignored, as the spec says; a wrongly typed one is a 400.
    /// </summary>
    public EventUpdate Update(JsonObject body, Tenant tenant, string? routeEventId)
    {
        var id = routeEventId ?? OptionalString(body, "event_id", "");
        if (string.IsNullOrWhiteSpace(id))
            throw ApiRequestException.BadRequest("event_id", "'event_id' is required: the id of the event to update.");
        var outputs = body["outputs"] switch
        {
            null => null,
            JsonObject obj => obj,
            var other => throw ApiRequestException.BadRequest("outputs", $"'outputs' must be a JSON object or null (null keeps the stored outputs), not {Kind(other)}."),
        };
        var truncation = new Truncation();
        JsonObject? Clean(string name) => OptionalObject(body, name, "") is { } bucket ? JsonSanitizer.CleanObject(bucket, limits, truncation, name) : null;
        var config = Clean("config");
        var feedback = Clean("feedback");
        var metrics = Clean("metrics");
        var userProperties = Clean("user_properties");
        var cleanOutputs = outputs is null ? null : JsonSanitizer.CleanObject(outputs, limits, truncation, "outputs");
        var metadata = Clean("metadata");
        // What was cut is flagged on the event, as on a create.
        var flags = new JsonObject();
        truncation.WriteTo(flags);
        if (flags.Count > 0)
        {
            metadata ??= [];
            foreach (var (key, value) in flags) metadata[key] = value?.DeepClone();
        }

        return new EventUpdate
        {
            EventId = EventIds.Normalize(id.Trim(), tenant.ProjectId),
            Config = config,
            Feedback = feedback,
            Metadata = metadata,
            Metrics = metrics,
            UserProperties = userProperties,
            Outputs = cleanOutputs,
            Duration = OptionalNumber(body, "duration"),
            EndTime = OptionalNumber(body, "end_time"),
            // An empty array is ignored (the spec: children_ids must be non-empty to be set).
            ChildrenIds = OptionalIds(body, "children_ids", "", tenant) is { Count: > 0 } children ? children : null,
        };
    }

    private static double? OptionalNumber(JsonObject body, string name) => body[name] switch
    {
        null => null,
        var node when Number(node) is { } number => number,
        var other => throw ApiRequestException.BadRequest(name, $"'{name}' must be a number, not {Kind(other)}."),
    };

    private EventRecord Common(JsonObject body, Tenant tenant, string path, string eventType, JsonObject inputs)
    {
        var record = new EventRecord
        {
            EventId = "",
            SessionId = "",
            ProjectId = tenant.ProjectId,
            WorkspaceId = tenant.WorkspaceId,
            OrgId = tenant.OrgId,
            EventType = eventType,
            EventName = OptionalString(body, "event_name", path) ?? "unknown",
            Source = OptionalString(body, "source", path) ?? "unknown",
            Error = OptionalString(body, "error", path),
            Inputs = inputs,
            Outputs = OptionalObject(body, "outputs", path) ?? [],
            Config = OptionalObject(body, "config", path) ?? [],
            Metadata = OptionalObject(body, "metadata", path) ?? [],
            Metrics = OptionalObject(body, "metrics", path) ?? [],
            Feedback = OptionalObject(body, "feedback", path) ?? [],
            UserProperties = OptionalObject(body, "user_properties", path) ?? [],
            ChildrenIds = OptionalIds(body, "children_ids", path, tenant),
        };
        SetTimes(record, body);

        // The project is always the key's; a payload's project name is kept for reference only.
        if (body["project"] is JsonValue project && project.TryGetValue<string>(out var projectName) && !record.Metadata.ContainsKey("project_name"))
            record.Metadata["project_name"] = projectName;
        return record;
    }

    /// <summary>
    /// Times are Unix ms. A non-numeric (or missing) time becomes now, as HoneyHive's getInt64() does;
    /// a missing end is start + duration, a missing duration is end - start.
    /// </summary>
    private void SetTimes(EventRecord record, JsonObject body)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var start = Number(body["start_time"]);
        var end = Number(body["end_time"]);
        var duration = Number(body["duration"]);
        record.StartTime = start ?? (end is { } e && duration is { } d ? e - d : now);
        record.EndTime = end ?? record.StartTime + (duration ?? 0);
        record.Duration = duration ?? Math.Max(0, record.EndTime - record.StartTime);
    }

    private EventRecord Finish(EventRecord record, JsonObject body)
    {
        var truncation = new Truncation();
        record.Inputs = JsonSanitizer.CleanObject(record.Inputs, limits, truncation, "inputs");
        record.Outputs = JsonSanitizer.CleanObject(record.Outputs, limits, truncation, "outputs");
        record.Config = JsonSanitizer.CleanObject(record.Config, limits, truncation, "config");
        record.Metrics = JsonSanitizer.CleanObject(record.Metrics, limits, truncation, "metrics");
        record.Feedback = JsonSanitizer.CleanObject(record.Feedback, limits, truncation, "feedback");
        record.UserProperties = JsonSanitizer.CleanObject(record.UserProperties, limits, truncation, "user_properties");
        var metadata = record.Metadata;
        // Unknown top-level fields of the open legacy schemas are kept, in metadata.
        foreach (var (key, value) in body)
        {
            if (!KnownFields.Contains(key) && !SessionOnlyFields.Contains(key) && !metadata.ContainsKey(key))
                metadata[key] = value?.DeepClone();
        }
        record.Metadata = JsonSanitizer.CleanObject(metadata, limits, truncation, "metadata");
        if (record.Error is { } error && error.Length > limits.MaxValueLength)
        {
            truncation.ValueTruncated("error");
            record.Error = AnyValueConverter.Clip(error, limits.MaxValueLength);
        }
        record.EventName = Clip(record.EventName, truncation, "event_name");
        record.Source = Clip(record.Source, truncation, "source");
        truncation.WriteTo(record.Metadata);
        return record;
    }

    private string Clip(string value, Truncation truncation, string key)
    {
        if (value.Length <= limits.MaxKeyLength * 4) return value;
        truncation.ValueTruncated(key);
        return AnyValueConverter.Clip(value, limits.MaxKeyLength * 4);
    }

    private static void CheckFields(JsonObject body, EventReadOptions options, string path, bool session)
    {
        if (!options.RejectUnknownFields) return;
        foreach (var (key, _) in body)
        {
            // The v1 event schema has project_id but no longer the legacy per-event project.
            var known = session ? V1SessionFields.Contains(key) : KnownFields.Contains(key) && key != "project";
            if (!known)
                throw ApiRequestException.BadRequest(Field(path, key), $"'{Field(path, key)}' is not a field of this route's {(session ? "session" : "event")} schema; remove it (free-form values belong in metadata).");
        }
    }

    private static string RequiredEventType(JsonObject body, string path)
    {
        var node = body["event_type"];
        if (node is null)
            throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' is required: one of {string.Join(", ", EventTypes)}.");
        if (node is not JsonValue value || !value.TryGetValue<string>(out var type))
            throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' must be a string: one of {string.Join(", ", EventTypes)}.");
        if (!EventTypes.Contains(type, StringComparer.Ordinal))
            throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' is \"{Short(type)}\"; it must be one of {string.Join(", ", EventTypes)}.");
        return type;
    }

    private static JsonObject? OptionalObject(JsonObject body, string name, string path) => body[name] switch
    {
        null => null,
        JsonObject obj => obj,
        var other => throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be a JSON object, not {Kind(other)}."),
    };

    private static string? OptionalString(JsonObject body, string name, string path) => body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be a string, not {Kind(other)}."),
    };

    private static string? OptionalId(JsonObject body, string name, string path, Tenant tenant)
    {
        var value = OptionalString(body, name, path);
        return string.IsNullOrWhiteSpace(value) ? null : EventIds.Normalize(value.Trim(), tenant.ProjectId);
    }

    private static List<string>? OptionalIds(JsonObject body, string name, string path, Tenant tenant)
    {
        switch (body[name])
        {
            case null:
                return null;
            case JsonArray array:
                var ids = new List<string>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonValue v || !v.TryGetValue<string>(out var id))
                        throw ApiRequestException.BadRequest(Field(path, $"{name}[{i}]"), $"'{Field(path, $"{name}[{i}]")}' must be a string event id.");
                    ids.Add(EventIds.Normalize(id, tenant.ProjectId));
                }
                return ids;
            case var other:
                throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be an array of event id strings, not {Kind(other)}.");
        }
    }

    /// <summary>A JSON number, or null for anything else (which the time rules treat as "now").</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    public static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static string Field(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Short(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
