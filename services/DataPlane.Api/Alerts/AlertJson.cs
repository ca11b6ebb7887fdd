using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.Contracts.Alerts;

namespace HoneyHive.DataPlane.Api.Alerts;

/// <summary>The JSON of the alert contracts as dpdb stores them and the CP sends them (snake_case by their attributes).</summary>
public static class AlertJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static AlertDefinition Definition(string json) =>
        JsonSerializer.Deserialize<AlertDefinition>(json, Options) ?? throw new JsonException("An alert definition is null.");

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
