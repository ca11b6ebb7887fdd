using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Playground;

/// <summary>
/// The body of <c>POST /v1/playground/run</c>: which configuration (and version) to run, the template's variables, and
/// the playground's edits: another <c>model</c> ("provider/model" or an alias), hyperparameters over the configuration's,
/// another template; <c>stream</c> as in chat completions; <c>save</c> to keep the run's configuration as a new version.
/// </summary>
public sealed record PlaygroundRequest(
    Guid ConfigurationId, int? Version, JsonObject Inputs, string? Model, JsonObject? Hyperparameters, JsonNode? Template, bool Stream, bool Save)
{
    public static PlaygroundRequest Parse(JsonObject body)
    {
        var id = OpenAiRequests.RequiredString(body, "configuration_id");
        if (!Guid.TryParse(id, out var configurationId))
            throw OpenAiErrorException.Invalid("configuration_id", "configuration_id must be the id of a configuration of this project.");
        var version = OpenAiRequests.OptionalInt(body, "version", 1, int.MaxValue);
        var inputs = body["inputs"] switch
        {
            null => [],
            JsonObject values => values,
            _ => throw OpenAiErrorException.Invalid("inputs", "inputs must be an object of the template's variables ({\"name\": \"value\"})."),
        };
        var model = body["model"] is null ? null : OpenAiRequests.RequiredString(body, "model");
        var hyperparameters = body["hyperparameters"] switch
        {
            null => null,
            JsonObject values => values,
            _ => throw OpenAiErrorException.Invalid("hyperparameters", "hyperparameters must be an object (temperature, max_tokens, ...)."),
        };
        var template = body["template"];
        if (template is not (null or JsonArray) && !(template is JsonValue value && value.TryGetValue<string>(out _)))
            throw OpenAiErrorException.Invalid("template", "template must be a list of {role, content} messages or a prompt string.");
        return new PlaygroundRequest(configurationId, version, inputs, model, hyperparameters, template,
            OpenAiRequests.OptionalBool(body, "stream"), OpenAiRequests.OptionalBool(body, "save"));
    }
}
