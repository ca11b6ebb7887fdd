using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Writes a JSON tree of any depth: a trace tree nests two JSON levels per span (object, children
/// array), deeper than the serializer's default limit for long chains of spans.
/// </summary>
public sealed class JsonNodeResult(JsonNode node) : IResult
{
    private static readonly JsonWriterOptions Options = new() { MaxDepth = 1_000_000 };

    public JsonNode Node { get; } = node;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, Options);
        Node.WriteTo(writer);
    }
}
