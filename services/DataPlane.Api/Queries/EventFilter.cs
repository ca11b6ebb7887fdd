using System.Text.Json;
using System.Text.Json.Serialization;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A HoneyHive filter <c>{field, operator, value, type}</c>; value is a string, number, boolean or null.</summary>
public sealed record EventFilter(
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("operator")] string? Operator,
    [property: JsonPropertyName("value")] JsonElement Value,
    [property: JsonPropertyName("type")] string? Type);
