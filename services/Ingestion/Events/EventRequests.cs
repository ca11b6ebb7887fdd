using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using Outcome = HoneyHive.Ingestion.Events.EventIngestService.Outcome;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// What each event API route does with a parsed body: pure mapping from the request to the events to
/// publish (written as their published JSON) and the response to send, so it can be tested without HTTP.
/// The routes are mapped in <see cref="EventApi"/>; the pipeline around this (read, publish, answer) is
/// <see cref="EventIngestService"/>. Every event is checked before the route returns, so a refused
/// request publishes nothing.
/// </summary>
public static class EventRequests
{
    private static readonly EventReadOptions Legacy = new(RejectUnknownFields: false);
    private static readonly EventReadOptions V1 = new(RejectUnknownFields: true);

    /// <summary>POST /session/start: <c>{"session": object | JSON string}</c>.</summary>
    public static Outcome StartSessionLegacy(JsonElement body, Tenant tenant, EventNormalizer normalizer)
    {
        var wrapped = EventRequestBody.Unwrap(Get(body, "session"), "session", out var parsed);
        using (parsed)
        {
            var session = normalizer.Session(wrapped, tenant, Legacy, "session");
            return new Outcome(new EventJsonBatch(), session, s => TypedResults.Ok(SessionResponse.From(s!)));
        }
    }

    /// <summary>POST /v1/sessions: a bare session object.</summary>
    public static Outcome CreateSession(JsonElement body, Tenant tenant, EventNormalizer normalizer)
    {
        var session = normalizer.Session(body, tenant, V1, "");
        return new Outcome(new EventJsonBatch(), session, s => TypedResults.Ok(SessionResponse.From(s!)));
    }

    /// <summary>POST /events: <c>{"event": object | JSON string}</c>.</summary>
    public static Outcome CreateEventLegacy(JsonElement body, Tenant tenant, EventNormalizer normalizer)
    {
        var wrapped = EventRequestBody.Unwrap(Get(body, "event"), "event", out var parsed);
        using (parsed) return Single(normalizer, wrapped, tenant, Legacy, "event");
    }

    /// <summary>POST /v1/events: a bare event object.</summary>
    public static Outcome CreateEvent(JsonElement body, Tenant tenant, EventNormalizer normalizer) =>
        Single(normalizer, body, tenant, V1, "");

    /// <summary>POST /events/model: <c>{"model_event": object}</c> (also "event", as a string or object).</summary>
    public static Outcome CreateModelEvent(JsonElement body, Tenant tenant, EventNormalizer normalizer)
    {
        var field = body.TryGetProperty("model_event", out _) ? "model_event" : "event";
        var wrapped = EventRequestBody.Unwrap(Get(body, field), field, out var parsed);
        using (parsed)
        using (var model = ModelEventMapper.ToEventDocument(wrapped, field))
            return Single(normalizer, model.RootElement, tenant, Legacy, field);
    }

    /// <summary>POST /events/batch (legacy aliases is_single_session and session accepted).</summary>
    public static Outcome CreateEventBatchLegacy(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits) =>
        Batch(body, tenant, normalizer, limits, "events", model: false, v1: false, pathSessionId: null);

    /// <summary>POST /v1/events/batch: events, single_session, session_properties; nothing else.</summary>
    public static Outcome CreateEventBatch(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits)
    {
        RejectUnknown(body, "events", "single_session", "session_properties");
        return Batch(body, tenant, normalizer, limits, "events", model: false, v1: true, pathSessionId: null);
    }

    /// <summary>POST /events/model/batch: <c>{"model_events": [...]}</c>, each remapped like /events/model.</summary>
    public static Outcome CreateModelEventBatch(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits) =>
        Batch(body, tenant, normalizer, limits, body.TryGetProperty("model_events", out _) ? "model_events" : "events", model: true, v1: false, pathSessionId: null);

    /// <summary>POST /v1/sessions/{session_id}/events/batch: the path's session overrides each event's.</summary>
    public static Outcome CreateSessionEventBatch(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits, string sessionId)
    {
        RejectUnknown(body, "events");
        // Normalized like every client id, so a non-UUID id used at session start finds the same session.
        var session = EventIds.Normalize(sessionId, tenant.ProjectId);
        var batch = Batch(body, tenant, normalizer, limits, "events", model: false, v1: true, pathSessionId: session);
        return batch with { Respond = _ => TypedResults.Ok(new SessionTracesResponse(true)) };
    }

    /// <summary>
    /// POST /session/{session_id}/traces (legacy): the traces under <c>events</c> or the deprecated
    /// <c>logs</c>, exactly one of them; each event joins the path's session, as on the /v1 batch route.
    /// </summary>
    public static Outcome AddSessionTracesLegacy(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits, string sessionId)
    {
        var (hasEvents, hasLogs) = (body.TryGetProperty("events", out _), body.TryGetProperty("logs", out _));
        if (hasEvents == hasLogs)
            throw ApiRequestException.BadRequest("events", hasEvents
                ? "Send the traces under 'events' or under the deprecated 'logs', not both."
                : "'events' is required: an array of event objects (the deprecated 'logs' is accepted instead).");
        var session = EventIds.Normalize(sessionId, tenant.ProjectId);
        var batch = Batch(body, tenant, normalizer, limits, hasEvents ? "events" : "logs", model: false, v1: false, pathSessionId: session);
        return batch with { Respond = _ => TypedResults.Ok(new SessionTracesResponse(true)) };
    }

    private static Outcome Single(EventNormalizer normalizer, JsonElement item, Tenant tenant, EventReadOptions options, string path)
    {
        var events = new EventJsonBatch();
        try
        {
            using var record = normalizer.Event(item, tenant, options, path);
            events.Add(record);
            var eventId = record.EventId;
            return new Outcome(events, null, _ => TypedResults.Ok(new PostEventResponse(true, eventId)));
        }
        catch
        {
            events.Dispose();
            throw;
        }
    }

    private static Outcome Batch(JsonElement body, Tenant tenant, EventNormalizer normalizer, IngestLimits limits,
        string field, bool model, bool v1, string? pathSessionId)
    {
        var items = Get(body, field);
        if (items is not { ValueKind: JsonValueKind.Array })
            throw ApiRequestException.BadRequest(field, items is null
                ? $"'{field}' is required: an array of event objects."
                : $"'{field}' must be an array of event objects, not {EventNormalizer.Kind(items.Value)}.");
        var count = items.Value.GetArrayLength();
        if (count > limits.MaxSpansPerRequest)
            throw ApiRequestException.TooLarge(field,
                $"'{field}' holds {count} events; send at most {limits.MaxSpansPerRequest} per request.");

        var single = Bool(body, "single_session") ?? (v1 ? null : Bool(body, "is_single_session")) ?? false;
        var propertiesField = body.TryGetProperty("session_properties", out _) || v1 ? "session_properties" : "session";
        EventRecord? session = null;
        var sessionId = pathSessionId;
        if (single && pathSessionId is null)
        {
            var properties = Get(body, propertiesField) switch
            {
                null => EmptyObject,
                { ValueKind: JsonValueKind.Object } obj => obj,
                { } other => throw ApiRequestException.BadRequest(propertiesField, $"'{propertiesField}' must be an object (session_name, start_time, metadata...), not {EventNormalizer.Kind(other)}."),
            };
            session = normalizer.Session(properties, tenant, Legacy, propertiesField);
            sessionId = session.SessionId;
        }

        var options = v1 ? V1 : Legacy;
        var events = new EventJsonBatch();
        try
        {
            var ids = new string[count];
            string? shared = null;
            var sameSession = true;
            var i = 0;
            foreach (var element in items.Value.EnumerateArray())
            {
                var path = $"{field}[{i}]";
                JsonDocument? parsed = null;
                JsonDocument? mapped = null;
                try
                {
                    var item = v1
                        ? element.ValueKind == JsonValueKind.Object ? element : throw ApiRequestException.BadRequest(path, $"'{path}' must be an event object, not {EventNormalizer.Kind(element)}.")
                        : EventRequestBody.Unwrap(element, path, out parsed);
                    if (model)
                    {
                        mapped = ModelEventMapper.ToEventDocument(item, path);
                        item = mapped.RootElement;
                    }
                    using var record = normalizer.Event(item, tenant, options, path, sessionId);
                    events.Add(record);
                    ids[i] = record.EventId;
                    if (i == 0) shared = record.SessionId;
                    else sameSession &= record.SessionId == shared;
                }
                finally
                {
                    mapped?.Dispose();
                    parsed?.Dispose();
                }
                i++;
            }

            var sharedSession = sessionId ?? (count > 0 && sameSession ? shared : null);
            return new Outcome(events, session, _ => TypedResults.Ok(new PostEventBatchResponse(ids, sharedSession, true)));
        }
        catch
        {
            events.Dispose();
            throw;
        }
    }

    /// <summary>An empty object, for a single-session batch sent without session properties.</summary>
    private static readonly JsonElement EmptyObject = JsonElement.Parse("{}");

    /// <summary>A field's value, or null when it is absent or JSON null (as a JSON tree reads it).</summary>
    private static JsonElement? Get(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static bool? Bool(JsonElement body, string name) => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } other => throw ApiRequestException.BadRequest(name, $"'{name}' must be true or false, not {EventNormalizer.Kind(other)}."),
    };

    private static void RejectUnknown(JsonElement body, params string[] allowed)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                throw ApiRequestException.BadRequest(property.Name, $"'{property.Name}' is not accepted by this route; send only {string.Join(", ", allowed)}.");
        }
    }
}
