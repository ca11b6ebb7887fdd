using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using Outcome = HoneyHive.Ingestion.Events.EventIngestService.Outcome;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// What each event API route does with a parsed body: pure mapping from the request to the events to
/// publish and the response to send, so it can be tested without HTTP. The routes are mapped in
/// <see cref="EventApi"/>; the pipeline around this (read, publish, answer) is <see cref="EventIngestService"/>.
/// </summary>
public static class EventRequests
{
    private static readonly EventReadOptions Legacy = new(RejectUnknownFields: false);
    private static readonly EventReadOptions V1 = new(RejectUnknownFields: true);

    /// <summary>POST /session/start: <c>{"session": object | JSON string}</c>.</summary>
    public static Outcome StartSessionLegacy(JsonObject body, Tenant tenant, EventNormalizer normalizer)
    {
        var session = normalizer.Session(EventRequestBody.Unwrap(body["session"], "session"), tenant, Legacy, "session");
        return new Outcome([], session, (s, _) => TypedResults.Ok(SessionResponse.From(s!)));
    }

    /// <summary>POST /v1/sessions: a bare session object.</summary>
    public static Outcome CreateSession(JsonObject body, Tenant tenant, EventNormalizer normalizer)
    {
        var session = normalizer.Session(body, tenant, V1, "");
        return new Outcome([], session, (s, _) => TypedResults.Ok(SessionResponse.From(s!)));
    }

    /// <summary>POST /events: <c>{"event": object | JSON string}</c>.</summary>
    public static Outcome CreateEventLegacy(JsonObject body, Tenant tenant, EventNormalizer normalizer) =>
        Single(normalizer.Event(EventRequestBody.Unwrap(body["event"], "event"), tenant, Legacy, "event"));

    /// <summary>POST /v1/events: a bare event object.</summary>
    public static Outcome CreateEvent(JsonObject body, Tenant tenant, EventNormalizer normalizer) =>
        Single(normalizer.Event(body, tenant, V1, ""));

    /// <summary>POST /events/model: <c>{"model_event": object}</c> (also "event", as a string or object).</summary>
    public static Outcome CreateModelEvent(JsonObject body, Tenant tenant, EventNormalizer normalizer)
    {
        var field = body.ContainsKey("model_event") ? "model_event" : "event";
        var model = ModelEventMapper.ToEvent(EventRequestBody.Unwrap(body[field], field), field);
        return Single(normalizer.Event(model, tenant, Legacy, field));
    }

    /// <summary>POST /events/batch (legacy aliases is_single_session and session accepted).</summary>
    public static Outcome CreateEventBatchLegacy(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits) =>
        Batch(body, tenant, normalizer, limits, "events", model: false, v1: false, pathSessionId: null);

    /// <summary>POST /v1/events/batch: events, single_session, session_properties; nothing else.</summary>
    public static Outcome CreateEventBatch(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits)
    {
        RejectUnknown(body, "events", "single_session", "session_properties");
        return Batch(body, tenant, normalizer, limits, "events", model: false, v1: true, pathSessionId: null);
    }

    /// <summary>POST /events/model/batch: <c>{"model_events": [...]}</c>, each remapped like /events/model.</summary>
    public static Outcome CreateModelEventBatch(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits) =>
        Batch(body, tenant, normalizer, limits, body.ContainsKey("model_events") ? "model_events" : "events", model: true, v1: false, pathSessionId: null);

    /// <summary>POST /v1/sessions/{session_id}/events/batch: the path's session overrides each event's.</summary>
    public static Outcome CreateSessionEventBatch(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits, string sessionId)
    {
        RejectUnknown(body, "events");
        // Normalized like every client id, so a non-UUID id used at session start finds the same session.
        var session = EventIds.Normalize(sessionId, tenant.ProjectId);
        var batch = Batch(body, tenant, normalizer, limits, "events", model: false, v1: true, pathSessionId: session);
        return batch with { Respond = (_, _) => TypedResults.Ok(new SessionTracesResponse(true)) };
    }

    /// <summary>
    /// POST /session/{session_id}/traces (legacy): the traces under <c>events</c> or the deprecated
    /// <c>logs</c>, exactly one of them; each event joins the path's session, as on the /v1 batch route.
    /// </summary>
    public static Outcome AddSessionTracesLegacy(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits, string sessionId)
    {
        var (hasEvents, hasLogs) = (body.ContainsKey("events"), body.ContainsKey("logs"));
        if (hasEvents == hasLogs)
            throw ApiRequestException.BadRequest("events", hasEvents
                ? "Send the traces under 'events' or under the deprecated 'logs', not both."
                : "'events' is required: an array of event objects (the deprecated 'logs' is accepted instead).");
        var session = EventIds.Normalize(sessionId, tenant.ProjectId);
        var batch = Batch(body, tenant, normalizer, limits, hasEvents ? "events" : "logs", model: false, v1: false, pathSessionId: session);
        return batch with { Respond = (_, _) => TypedResults.Ok(new SessionTracesResponse(true)) };
    }

    private static Outcome Single(EventRecord record) =>
        new([record], null, (_, events) => TypedResults.Ok(new PostEventResponse(true, events[0].EventId)));

    private static Outcome Batch(JsonObject body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits,
        string field, bool model, bool v1, string? pathSessionId)
    {
        if (body[field] is not JsonArray items)
            throw ApiRequestException.BadRequest(field, body[field] is null
                ? $"'{field}' is required: an array of event objects."
                : $"'{field}' must be an array of event objects, not {EventNormalizer.Kind(body[field])}.");
        if (items.Count > limits.MaxSpansPerRequest)
            throw ApiRequestException.TooLarge(field,
                $"'{field}' holds {items.Count} events; send at most {limits.MaxSpansPerRequest} per request.");

        var single = Bool(body, "single_session") ?? (v1 ? null : Bool(body, "is_single_session")) ?? false;
        var propertiesField = body.ContainsKey("session_properties") || v1 ? "session_properties" : "session";
        EventRecord? session = null;
        var sessionId = pathSessionId;
        if (single && pathSessionId is null)
        {
            var properties = body[propertiesField] switch
            {
                null => [],
                JsonObject obj => obj,
                var other => throw ApiRequestException.BadRequest(propertiesField, $"'{propertiesField}' must be an object (session_name, start_time, metadata...), not {EventNormalizer.Kind(other)}."),
            };
            session = normalizer.Session(properties, tenant, Legacy, propertiesField);
            sessionId = session.SessionId;
        }

        var options = v1 ? V1 : Legacy;
        var records = new List<EventRecord>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"{field}[{i}]";
            var item = v1
                ? items[i] as JsonObject ?? throw ApiRequestException.BadRequest(path, $"'{path}' must be an event object, not {EventNormalizer.Kind(items[i])}.")
                : EventRequestBody.Unwrap(items[i], path);
            if (model) item = ModelEventMapper.ToEvent(item, path);
            if (sessionId is not null) item["session_id"] = sessionId;
            records.Add(normalizer.Event(item, tenant, options, path));
        }

        var shared = sessionId ?? (records.Count > 0 && records.All(r => r.SessionId == records[0].SessionId) ? records[0].SessionId : null);
        return new Outcome(records, session, (_, events) =>
            TypedResults.Ok(new PostEventBatchResponse(events.Select(e => e.EventId).ToArray(), shared, true)));
    }

    private static bool? Bool(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        var other => throw ApiRequestException.BadRequest(name, $"'{name}' must be true or false, not {EventNormalizer.Kind(other)}."),
    };

    private static void RejectUnknown(JsonObject body, params string[] allowed)
    {
        foreach (var (key, _) in body)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal))
                throw ApiRequestException.BadRequest(key, $"'{key}' is not accepted by this route; send only {string.Join(", ", allowed)}.");
        }
    }
}
