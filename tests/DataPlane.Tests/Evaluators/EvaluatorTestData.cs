using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>Metric definitions in canonical form and the event the evaluator tests score.</summary>
public static class EvaluatorTestData
{
    public static JsonObject Event() => new()
    {
        ["event_id"] = Guid.NewGuid().ToString(),
        ["event_type"] = "model",
        ["event_name"] = "answer",
        ["inputs"] = new JsonObject { ["question"] = "capital of France?" },
        ["outputs"] = new JsonObject { ["content"] = "Paris" },
        ["feedback"] = new JsonObject { ["ground_truth"] = "Paris" },
        ["metadata"] = new JsonObject { ["locale"] = "fr-FR" },
    };

    /// <summary>An LLM judge metric on the fake upstream's <paramref name="model"/>.</summary>
    public static JsonObject Judge(string model, string criteria, string returnType = "float", int? scale = null, JsonObject? extra = null)
    {
        var metric = new JsonObject
        {
            ["name"] = "judge",
            ["type"] = "LLM",
            ["criteria"] = criteria,
            ["return_type"] = returnType,
            ["model_provider"] = "openai",
            ["model_name"] = model,
            ["scale"] = scale,
        };
        foreach (var (key, value) in extra ?? []) metric[key] = value?.DeepClone();
        return Canonical(metric);
    }

    public static JsonObject Canonical(JsonObject metric)
    {
        var errors = new FieldErrors();
        // Through JSON text, as a request body or a stored row reaches the engine (numbers readable as any numeric type).
        var normalized = MetricDefinition.Normalize(JsonNode.Parse(metric.ToJsonString())!.AsObject(), errors);
        errors.ThrowIfAny();
        return normalized;
    }

    public static EvaluationRequest Request(Guid project, JsonObject metric, JsonObject? @event = null) =>
        new(project.ToString(), metric, null, null, @event ?? Event());

    public static string NewModel(string what) => $"judge-{what}-{Guid.NewGuid():N}";
}
