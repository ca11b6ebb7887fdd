using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance.Buffers;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>How strictly a route reads an event object.</summary>
/// <param name="RejectUnknownFields">
/// The /v1 routes' schemas are closed (additionalProperties: false): an unknown field is a 400.
/// The legacy routes are open, and unknown fields land in metadata as HoneyHive's enrichment does.
/// </param>
public readonly record struct EventReadOptions(bool RejectUnknownFields);

/// <summary>
/// Turns one client event object (HoneyHive's API shape, as parsed: a <see cref="JsonElement"/>) into the
/// wide event, applying HoneyHive's defaults (docs: HONEYHIVE-DATA-MODEL.md) and refusing what it refuses.
/// Every refusal names the field (with <c>path</c>, e.g. <c>events[2].inputs</c>) and what to send.
/// An event is a <see cref="SpanEvent"/>, as an OTLP span's, whose buckets stay the client's parsed objects
/// unless a rule changes them, written once into the published batch: no JSON tree per event.
/// </summary>
public sealed class EventNormalizer(IngestLimits limits, TimeProvider clock)
{
    public static readonly string[] EventTypes = ["session", "model", "tool", "chain"];

    /// <summary>Fields of the event schema; anything else is unknown.</summary>
    private static readonly string[] KnownFields =
    [
        "project", "project_id", "source", "event_name", "event_type", "event_id", "session_id", "parent_id",
        "children_ids", "config", "inputs", "outputs", "error", "start_time", "end_time", "duration",
        "metadata", "feedback", "metrics", "user_properties",
    ];

    /// <summary>Fields of the session schema beyond the event's.</summary>
    private static readonly string[] SessionOnlyFields = ["session_name"];

    /// <summary>The closed /v1/sessions schema (StartSessionRequest).</summary>
    private static readonly string[] V1SessionFields =
    [
        "session_id", "session_name", "event_name", "source", "start_time", "end_time", "duration",
        "config", "inputs", "outputs", "metadata", "user_properties", "children_ids",
    ];

    // The same names in UTF-8, to match parsed property names without making strings of them.
    private static readonly byte[][] KnownFieldsUtf8 = Utf8(KnownFields);
    private static readonly byte[][] SessionOnlyFieldsUtf8 = Utf8(SessionOnlyFields);
    private static readonly byte[][] V1SessionFieldsUtf8 = Utf8(V1SessionFields);
    private static readonly byte[][] EventTypesUtf8 = Utf8(EventTypes);

    /// <summary>
    /// An event for POST /events, /v1/events and the batch routes: event_type and inputs are required.
    /// <paramref name="sessionId"/> (a batch's session, already normalized) replaces the event's own session_id.
    /// The caller writes the event and disposes it.
    /// </summary>
    public SpanEvent Event(JsonElement body, Tenant tenant, EventReadOptions options, string path, string? sessionId = null)
    {
        CheckFields(body, options, path, session: false);
        var eventType = RequiredEventType(body, path);
        var inputs = OptionalObject(body, "inputs", path)
            ?? throw ApiRequestException.BadRequest(Field(path, "inputs"), $"'{Field(path, "inputs")}' is required: send an object with the event's inputs (it may be empty: {{}}).");
        var record = Common(body, tenant, path, eventType, inputs);
        record.SessionId = sessionId ?? OptionalId(body, "session_id", path, tenant) ?? Guid.NewGuid().ToString();
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
    /// <remarks>
    /// Normalized by the same rules as an event, then read back as an <see cref="EventRecord"/>: the
    /// <see cref="SessionRegistry"/> merges a repeated start into the stored session in the state store.
    /// There is one session per trace, so this copy stays off the per-event path.
    /// </remarks>
    public EventRecord Session(JsonElement body, Tenant tenant, EventReadOptions options, string path)
    {
        CheckFields(body, options, path, session: true);
        if (TryGet(body, "event_type", out _))
        {
            var type = RequiredEventType(body, path);
            if (type != "session")
                throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' must be \"session\" (or absent) when starting a session, not \"{type}\".");
        }
        var inputs = OptionalObject(body, "inputs", path) ?? new EventObject();
        var record = Common(body, tenant, path, "session", inputs);
        record.SessionId = OptionalId(body, "session_id", path, tenant) ?? Guid.NewGuid().ToString();
        record.EventId = record.SessionId;
        record.ParentId = null;
        // event_name falls back to session_name, then "unknown" (StartSessionRequest).
        var sessionName = OptionalString(body, "session_name", path);
        if (OptionalString(body, "event_name", path) is null && sessionName is not null) record.EventName = sessionName;
        using var session = Finish(record, body);
        using var json = new ArrayPoolBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(json, EventJson.WriterOptions)) session.WriteTo(writer);
        return JsonSerializer.Deserialize(json.WrittenSpan, EventRecordJsonContext.Default.EventRecord)!;
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

    // The update's fields, read from a JSON tree (an update is one small request, published as EventUpdate).
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

    private SpanEvent Common(JsonElement body, Tenant tenant, string path, string eventType, EventObject inputs)
    {
        var record = new SpanEvent
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
            Outputs = OptionalObject(body, "outputs", path),
            Config = OptionalObject(body, "config", path),
            Metadata = OptionalObject(body, "metadata", path),
            Metrics = OptionalObject(body, "metrics", path),
            Feedback = OptionalObject(body, "feedback", path),
            UserProperties = OptionalObject(body, "user_properties", path),
            ChildrenIds = OptionalIds(body, "children_ids", path, tenant),
        };
        SetTimes(record, body);

        // The project is always the key's; a payload's project name is kept for reference only.
        // (Metadata is never null: a bucket is made when first read.)
        if (TryGet(body, "project", out var project) && project.ValueKind == JsonValueKind.String && !record.Metadata!.ContainsKey("project_name"))
            record.Metadata["project_name"] = project.GetString();
        return record;
    }

    /// <summary>
    /// Times are Unix ms. A non-numeric (or missing) time becomes now, as HoneyHive's getInt64() does;
    /// a missing end is start + duration, a missing duration is end - start.
    /// </summary>
    private void SetTimes(SpanEvent record, JsonElement body)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var start = Number(body, "start_time");
        var end = Number(body, "end_time");
        var duration = Number(body, "duration");
        record.StartTime = start ?? (end is { } e && duration is { } d ? e - d : now);
        record.EndTime = end ?? record.StartTime + (duration ?? 0);
        record.Duration = duration ?? Math.Max(0, record.EndTime - record.StartTime);
    }

    private SpanEvent Finish(SpanEvent record, JsonElement body)
    {
        var truncation = new Truncation();
        record.Inputs = JsonSanitizer.CleanBucket(record.Inputs, limits, truncation, "inputs");
        record.Outputs = JsonSanitizer.CleanBucket(record.Outputs, limits, truncation, "outputs");
        record.Config = JsonSanitizer.CleanBucket(record.Config, limits, truncation, "config");
        record.Metrics = JsonSanitizer.CleanBucket(record.Metrics, limits, truncation, "metrics");
        record.Feedback = JsonSanitizer.CleanBucket(record.Feedback, limits, truncation, "feedback");
        record.UserProperties = JsonSanitizer.CleanBucket(record.UserProperties, limits, truncation, "user_properties");
        var metadata = record.Metadata;
        // Unknown top-level fields of the open legacy schemas are kept, in metadata.
        foreach (var property in body.EnumerateObject())
        {
            if (IsOneOf(property, KnownFieldsUtf8) || IsOneOf(property, SessionOnlyFieldsUtf8)) continue;
            var key = property.Name;
            if (!metadata.ContainsKey(key)) metadata[key] = EventJson.Leaf(property.Value);
        }
        record.Metadata = JsonSanitizer.CleanBucket(metadata, limits, truncation, "metadata");
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

    private static void CheckFields(JsonElement body, EventReadOptions options, string path, bool session)
    {
        if (!options.RejectUnknownFields) return;
        foreach (var property in body.EnumerateObject())
        {
            // The v1 event schema has project_id but no longer the legacy per-event project.
            var known = session ? IsOneOf(property, V1SessionFieldsUtf8) : IsOneOf(property, KnownFieldsUtf8) && !property.NameEquals("project"u8);
            if (known) continue;
            var key = property.Name;
            throw ApiRequestException.BadRequest(Field(path, key), $"'{Field(path, key)}' is not a field of this route's {(session ? "session" : "event")} schema; remove it (free-form values belong in metadata).");
        }
    }

    private static string RequiredEventType(JsonElement body, string path)
    {
        if (!TryGet(body, "event_type", out var value))
            throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' is required: one of {string.Join(", ", EventTypes)}.");
        if (value.ValueKind != JsonValueKind.String)
            throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' must be a string: one of {string.Join(", ", EventTypes)}.");
        for (var i = 0; i < EventTypes.Length; i++)
        {
            if (value.ValueEquals(EventTypesUtf8[i])) return EventTypes[i];
        }
        throw ApiRequestException.BadRequest(Field(path, "event_type"), $"'{Field(path, "event_type")}' is \"{Short(value.GetString()!)}\"; it must be one of {string.Join(", ", EventTypes)}.");
    }

    /// <summary>A field's value; a JSON null counts as absent, as it does for every rule here.</summary>
    private static bool TryGet(JsonElement body, string name, out JsonElement value) =>
        body.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static EventObject? OptionalObject(JsonElement body, string name, string path)
    {
        if (!TryGet(body, name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Object
            ? EventObject.Over(value)
            : throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be a JSON object, not {Kind(value)}.");
    }

    private static string? OptionalString(JsonElement body, string name, string path)
    {
        if (!TryGet(body, name, out var value)) return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be a string, not {Kind(value)}.");
    }

    private static string? OptionalId(JsonElement body, string name, string path, Tenant tenant)
    {
        var value = OptionalString(body, name, path);
        return string.IsNullOrWhiteSpace(value) ? null : EventIds.Normalize(value.Trim(), tenant.ProjectId);
    }

    private static List<string>? OptionalIds(JsonElement body, string name, string path, Tenant tenant)
    {
        if (!TryGet(body, name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array)
            throw ApiRequestException.BadRequest(Field(path, name), $"'{Field(path, name)}' must be an array of event id strings, not {Kind(value)}.");
        var ids = new List<string>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw ApiRequestException.BadRequest(Field(path, $"{name}[{i}]"), $"'{Field(path, $"{name}[{i}]")}' must be a string event id.");
            ids.Add(EventIds.Normalize(item.GetString()!, tenant.ProjectId));
            i++;
        }
        return ids;
    }

    private static double? Number(JsonElement body, string name) => TryGet(body, name, out var value) ? Number(value) : null;

    /// <summary>A JSON number, or null for anything else (which the time rules treat as "now").</summary>
    public static double? Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;

    /// <summary>A JSON number, or null for anything else (which the time rules treat as "now").</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    public static string Kind(JsonElement value) => Kind(value.ValueKind);

    public static string Kind(JsonNode? node) => Kind(node?.GetValueKind() ?? JsonValueKind.Null);

    private static string Kind(JsonValueKind kind) => kind switch
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

    private static bool IsOneOf(JsonProperty property, byte[][] names)
    {
        foreach (var name in names)
        {
            if (property.NameEquals(name)) return true;
        }
        return false;
    }

    private static byte[][] Utf8(string[] names) => names.Select(name => Encoding.UTF8.GetBytes(name)).ToArray();
}
