using System.Text.Json;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// <c>{"events": [...], "count": n, "totalEvents": n, "next_cursor": ...}</c> for one search page:
/// <c>count</c> is the data-plane spec's name and <c>totalEvents</c> the legacy one, both the
/// number of matching events; <c>total_is_estimate</c> says whether it was estimated (see EventQueries.TotalAsync).
/// </summary>
public sealed class EventPageResult(EventPage page, Projection? projection, EventTotal total) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteStartArray("events");
        foreach (var row in page.Rows) EventRowJson.Write(writer, row, projection, page.Payloads);
        writer.WriteEndArray();
        writer.WriteNumber("count", total.Count);
        writer.WriteNumber("totalEvents", total.Count);
        writer.WriteBoolean("total_is_estimate", total.IsEstimate);
        if (page.Next is null) writer.WriteNull("next_cursor");
        else writer.WriteString("next_cursor", page.Next.Encode());
        writer.WriteEndObject();
    }
}

/// <summary>
/// Streams an export: one keyset-paginated query per chunk, each chunk written and flushed to the
/// client before the next is read, so memory holds one chunk whatever the result size, and a slow
/// reader slows the queries down (the response pipe applies back-pressure) instead of filling memory.
/// </summary>
public sealed class EventExportResult(EventQueries queries, Guid project, EventSearch search, EventTotal total, int chunkSize) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        var body = httpContext.Response.BodyWriter;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteStartArray("events");
        await WriteRowsAsync(queries, project, search, chunkSize, writer, async ct => await body.FlushAsync(ct), cancellationToken);
        writer.WriteEndArray();
        writer.WriteNumber("totalEvents", total.Count);
        writer.WriteNumber("count", total.Count);
        writer.WriteBoolean("total_is_estimate", total.IsEstimate);
        writer.WriteEndObject();
    }

    /// <summary>The export's rows, chunk by chunk, each written and flushed (<paramref name="flush"/>) before the next is read; returns how many.</summary>
    public static async Task<long> WriteRowsAsync(
        EventQueries queries, Guid project, EventSearch search, int chunkSize, Utf8JsonWriter writer, Func<CancellationToken, Task> flush, CancellationToken cancellationToken)
    {
        long written = 0;
        var remaining = search.Limit;
        var after = search.After;
        var offset = search.Offset;
        while (remaining > 0)
        {
            var page = await queries.PageAsync(project, search, after, Math.Min(chunkSize, remaining), offset, cancellationToken);
            foreach (var row in page.Rows) EventRowJson.Write(writer, row, search.Projection, page.Payloads);
            remaining -= page.Rows.Count;
            written += page.Rows.Count;
            writer.Flush();
            await flush(cancellationToken);
            if (page.Next is null) break;
            after = page.Next;
            offset = 0;
        }

        return written;
    }
}
