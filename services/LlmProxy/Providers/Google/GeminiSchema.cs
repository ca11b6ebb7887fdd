using System.Text.Json.Nodes;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// A JSON Schema as Gemini's <c>Schema</c> object (an OpenAPI 3.0 subset): the keywords it documents are kept,
/// the rest dropped (<c>additionalProperties</c>, <c>$schema</c>, <c>strict</c>...), which Gemini would refuse with 400
/// although OpenAI callers send them routinely for structured output.
/// </summary>
public static class GeminiSchema
{
    private static readonly HashSet<string> Kept =
    [
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required",
        "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering",
        "default", "items", "minimum", "maximum",
    ];

    public static JsonObject From(JsonObject schema)
    {
        var result = new JsonObject();
        foreach (var (name, value) in schema)
        {
            if (!Kept.Contains(name) || value is null) continue;
            result[name] = name switch
            {
                // A type list ["string", "null"] is JSON Schema's nullable.
                "type" when value is JsonArray types => TypeOf(types, result),
                "properties" when value is JsonObject properties => new JsonObject(
                    properties.Select(p => KeyValuePair.Create(p.Key, p.Value is JsonObject child ? (JsonNode?)From(child) : p.Value?.DeepClone()))),
                "items" when value is JsonObject items => From(items),
                "anyOf" when value is JsonArray options => new JsonArray([.. options.Select(o => o is JsonObject child ? From(child) : o?.DeepClone())]),
                _ => value.DeepClone(),
            };
        }
        return result;
    }

    private static JsonNode? TypeOf(JsonArray types, JsonObject result)
    {
        var named = types.Select(t => OpenAiMessages.Text(t)).Where(t => t is not null).ToList();
        if (named.Remove("null")) result["nullable"] = true;
        return named.FirstOrDefault();
    }
}
