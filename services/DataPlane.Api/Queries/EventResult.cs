using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// <c>{"event": {...}}</c> of <c>GET /v1/events/{event_id}</c>, written from the store's row with a
/// <see cref="Utf8JsonWriter"/> instead of through a JsonObject.
/// </summary>
public sealed class EventResult(JsonElement row, IReadOnlyDictionary<string, string>? payloads) : IResult
{
    /// <summary>The current revision of one event of the project, or null (absent, deleted, or another project's).</summary>
    public static async Task<EventResult?> FindAsync(
        IAnalyticsStore store, PayloadResolver payloads, Guid project, string eventId, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var sql = CurrentEvents.Select(CurrentEvents.Columns, new EventScope { EventId = eventId }, "1", parameters) + "\nLIMIT 1";
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Count == 0 ? null : new EventResult(rows[0], await payloads.LoadAsync(rows, project, cancellationToken));
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WritePropertyName("event");
        EventRowJson.Write(writer, row, null, payloads);
        writer.WriteEndObject();
    }
}
