using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.Ingestion.Normalization;

namespace HoneyHive.Ingestion.Events;

/// <summary>
/// HoneyHive's event API on the DP port: the legacy routes the TS SDK calls and the /v1 routes of the
/// data-plane spec, authenticated with a project API key that has the "ingest" scope, or an access token
/// whose holder may ingest (events:ingest) in the project.
/// </summary>
public static class EventApi
{
    public static IHostApplicationBuilder AddEventApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventNormalizer>();
        builder.Services.AddSingleton<SessionRegistry>();
        builder.Services.AddSingleton<EventIngestService>();
        return builder;
    }

    public static RouteGroupBuilder MapEventApi(this IEndpointRouteBuilder app)
    {
        // Served on the DP API's port, so listed in the DP API's OpenAPI document.
        // Every route reads a JSON object body itself; the metadata declares it in the OpenAPI document.
        var group = app.MapGroup("").RequirePermission(Permissions.EventsIngest).DisableAntiforgery().WithGroupName(ApiDocuments.DataPlane)
            .WithMetadata(new AcceptsMetadata(["application/json"], typeof(JsonObject)));
        group.MapPost("/session/start", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.StartSessionLegacy(body, tenant, s.Normalizer)));
        group.MapPost("/v1/sessions", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateSession(body, tenant, s.Normalizer)));
        group.MapPost("/v1/sessions/{session_id}/events/batch", (HttpContext c, EventIngestService s, string session_id) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateSessionEventBatch(body, tenant, s.Normalizer, s.Limits, session_id)));
        group.MapPost("/session/{session_id}/traces", (HttpContext c, EventIngestService s, string session_id) =>
            s.RunAsync(c, (body, tenant) => EventRequests.AddSessionTracesLegacy(body, tenant, s.Normalizer, s.Limits, session_id)));
        group.MapPost("/events", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateEventLegacy(body, tenant, s.Normalizer)));
        group.MapPost("/v1/events", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateEvent(body, tenant, s.Normalizer)));
        group.MapPost("/events/batch", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateEventBatchLegacy(body, tenant, s.Normalizer, s.Limits)));
        group.MapPost("/v1/events/batch", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateEventBatch(body, tenant, s.Normalizer, s.Limits)));
        group.MapPost("/events/model", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateModelEvent(body, tenant, s.Normalizer)));
        group.MapPost("/events/model/batch", (HttpContext c, EventIngestService s) =>
            s.RunAsync(c, (body, tenant) => EventRequests.CreateModelEventBatch(body, tenant, s.Normalizer, s.Limits)));
        group.MapPut("/events", (HttpContext c, EventIngestService s) => s.UpdateAsync(c, null));
        group.MapPut("/v1/events/{event_id}", (HttpContext c, EventIngestService s, string event_id) => s.UpdateAsync(c, event_id));
        return group;
    }
}
