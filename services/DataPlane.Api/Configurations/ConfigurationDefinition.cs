using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using static HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.DataPlane.Api.Configurations;

/// <summary>
/// The spec's prompt configuration (CreateConfigurationRequest / ConfigurationItem): checks a whole
/// definition and returns its canonical form. Unknown keys inside <c>parameters</c> are kept:
/// the SDK's schema allows additional parameters, and prompt tooling relies on that.
/// </summary>
public static class ConfigurationDefinition
{
    public const int MaxName = 200;

    public static readonly string[] Types = ["LLM", "pipeline"];
    public static readonly string[] Environments = ["dev", "staging", "prod"];
    public static readonly string[] CallTypes = ["chat", "completion"];
    public static readonly string[] FunctionCallModes = ["none", "auto", "force"];

    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "type", "provider", "parameters", "env", "tags", "user_properties",
    };

    public static JsonObject Normalize(JsonObject input, FieldErrors errors)
    {
        var name = String(input, "name", "name", errors, required: true, MaxName, nonBlank: true);
        var type = OneOf(input, "type", "type", Types, errors) ?? "LLM";
        var provider = String(input, "provider", "provider", errors, required: true, maxLength: MaxName, nonBlank: true);
        var parameters = Object(input, "parameters", "parameters", errors);
        if (parameters is null && input["parameters"] is null) errors.Add("parameters", "Required.");
        var env = StringSet(input, "env", Environments, errors);
        var tags = StringSet(input, "tags", null, errors);
        var userProperties = Object(input, "user_properties", "user_properties", errors);

        return new JsonObject
        {
            ["name"] = name,
            ["type"] = type,
            ["provider"] = provider,
            ["parameters"] = parameters is null ? null : Parameters(parameters, errors.Under("parameters.")),
            ["env"] = env,
            ["tags"] = tags,
            ["user_properties"] = userProperties?.DeepClone(),
        };
    }

    private static JsonObject Parameters(JsonObject parameters, FieldErrors errors)
    {
        var result = (JsonObject)parameters.DeepClone();
        OneOf(parameters, "call_type", "call_type", CallTypes, errors, required: true);
        String(parameters, "model", "model", errors, required: true, maxLength: MaxName, nonBlank: true);
        Object(parameters, "hyperparameters", "hyperparameters", errors);
        Object(parameters, "responseFormat", "responseFormat", errors);
        Object(parameters, "forceFunction", "forceFunction", errors);
        OneOf(parameters, "functionCallParams", "functionCallParams", FunctionCallModes, errors);

        var functions = Array(parameters, "selectedFunctions", "selectedFunctions", errors, maxItems: 128);
        for (var i = 0; i < (functions?.Count ?? 0); i++)
        {
            var path = $"selectedFunctions[{i}]";
            if (functions![i] is not JsonObject function)
            {
                errors.Add(path, "Must be an object.");
                continue;
            }
            String(function, "id", path + ".id", errors);
            String(function, "name", path + ".name", errors);
            String(function, "description", path + ".description", errors);
            Object(function, "parameters", path + ".parameters", errors);
        }

        var template = parameters["template"];
        if (template is JsonArray messages)
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var path = $"template[{i}]";
                if (messages[i] is not JsonObject message)
                {
                    errors.Add(path, "Must be an object with role and content.");
                    continue;
                }
                String(message, "role", path + ".role", errors, required: true, nonBlank: true);
                String(message, "content", path + ".content", errors, required: true);
            }
        }
        else if (template is not null && Kind(template) != JsonValueKind.String)
        {
            errors.Add("template", "Must be a string or an array of messages.");
        }
        return result;
    }

    /// <summary>An array of distinct strings (restricted to <paramref name="allowed"/> when given); [] when absent.</summary>
    private static JsonArray StringSet(JsonObject input, string key, IReadOnlyCollection<string>? allowed, FieldErrors errors)
    {
        var result = new JsonArray();
        var array = Array(input, key, key, errors, maxItems: 100);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (array?.Count ?? 0); i++)
        {
            var path = $"{key}[{i}]";
            if (Kind(array![i]) != JsonValueKind.String)
            {
                errors.Add(path, "Must be a string.");
                continue;
            }
            var value = array[i]!.GetValue<string>();
            if (allowed is not null && !allowed.Contains(value)) errors.Add(path, $"Must be one of: {string.Join(", ", allowed)}.");
            else if (value.Length is 0 or > MaxName) errors.Add(path, $"Must be 1 to {MaxName} characters.");
            else if (seen.Add(value)) result.Add(value);
        }
        return result;
    }
}
