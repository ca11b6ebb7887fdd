using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Evaluation.Evaluators;

/// <summary>
/// COMPOSITE metrics: each of <c>child_metrics</c> (<c>{id?, name, weight, scale?}</c>) is found among the project's stored
/// metrics (by id when given, else by name; always the deployed version, and never another project's), evaluated on the
/// same event by the same <see cref="MetricEvaluator"/>, and the children combined by the aggregate the metric's
/// <c>criteria</c> names (<see cref="CompositeAggregate"/>; anything else is read as a description and the default,
/// <c>weighted_average</c>, applies). A child that is missing, fails, or has no usable value fails the whole metric with
/// <c>composite_error</c> naming it: a partial average would silently change what the number means.
/// </summary>
public sealed class CompositeEvaluator(IServiceProvider services) : IEvaluator
{
    /// <summary>Composites inside composites deeper than this are refused (and a metric that contains itself, at once).</summary>
    public const int MaxDepth = 4;

    public const int MaxChildren = 20;

    // The chain of composites being evaluated in this async flow: how a child that leads back to its parent is caught.
    private static readonly AsyncLocal<ImmutableList<string>> Chain = new();

    public string Type => "COMPOSITE";

    public async Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        var metric = request.Metric;
        var name = metric["name"]?.GetValue<string>() ?? "";
        var children = metric["child_metrics"] as JsonArray ?? [];
        if (children.Count == 0) return Failed(name, "it has no child_metrics.");
        if (children.Count > MaxChildren) return Failed(name, $"it has {children.Count} child metrics; at most {MaxChildren} are evaluated.");
        if (!Guid.TryParse(request.ProjectId, out var project)) return Failed(name, $"project '{request.ProjectId}' is not a project id.");
        var aggregate = CompositeAggregate.Parse(metric["criteria"]?.GetValue<string>());

        var chain = Chain.Value ?? [];
        var self = request.MetricId ?? "inline:" + name;
        if (chain.Count >= MaxDepth) return Failed(name, $"composites are nested deeper than {MaxDepth} levels ({string.Join(" > ", chain)}).");
        // MetricStore and MetricEvaluator are resolved here, not injected: MetricEvaluator holds this evaluator, so
        // constructor injection would be a cycle, and a process without dpdb can still run the other metric types.
        var store = services.GetRequiredService<MetricStore>();
        var evaluator = services.GetRequiredService<MetricEvaluator>();

        var scored = new List<CompositeAggregate.Child>(children.Count);
        var previous = Chain.Value;
        Chain.Value = chain.Add(self);
        try
        {
            foreach (var child in children.OfType<JsonObject>())
            {
                var childName = child["name"]?.GetValue<string>() ?? "";
                var stored = child["id"]?.GetValue<string>() is { } id
                    ? Guid.TryParse(id, out var childId) ? await store.GetAsync(project, childId, cancellationToken) : null
                    : await store.GetByNameAsync(project, childName, cancellationToken);
                if (stored is null) return Failed(name, $"child metric '{Label(child)}' is not a metric of this project.");
                var storedId = stored.Id.ToString();
                if (storedId == self || chain.Contains(storedId))
                    return Failed(name, $"child metric '{childName}' leads back to a composite that contains it.");

                var result = await evaluator.EvaluateAsync(
                    new EvaluationRequest(request.ProjectId, stored.Content, storedId, stored.DeployedVersion, request.Event), cancellationToken);
                if (!result.Success) return Failed(name, $"child metric '{childName}' failed ({result.ErrorCode}): {result.Message}");
                if (Numeric(stored.Content, result.Value, out var number) is { } notNumeric)
                    return Failed(name, $"child metric '{childName}' {notNumeric}");
                var scale = child["scale"]?.GetValue<int>();
                var weight = child["weight"]?.GetValue<double>() ?? 1;
                scored.Add(new CompositeAggregate.Child(childName, result.Value, scale is { } s ? number / s : number, weight, result.Passed));
            }
        }
        finally
        {
            Chain.Value = previous!;
        }

        return aggregate.Combine(scored, out var error) is { } value
            ? EvaluationResult.Scored(value, aggregate.Explain(scored, value), passed: null)
            : Failed(name, error!);
    }

    /// <summary>The child's value as a number: booleans as 1/0, a category by its score; null when it is, else why it is not.</summary>
    private static string? Numeric(JsonObject childMetric, JsonNode? value, out double number)
    {
        number = 0;
        switch (value?.GetValueKind())
        {
            case JsonValueKind.Number:
                number = value.GetValue<double>();
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                number = value.GetValue<bool>() ? 1 : 0;
                return null;
            case JsonValueKind.String when childMetric["return_type"]?.GetValue<string>() == "categorical":
                var category = value.GetValue<string>();
                var score = (childMetric["categories"] as JsonArray)?.OfType<JsonObject>()
                    .FirstOrDefault(c => c["category"]?.GetValue<string>() == category)?["score"];
                if (score?.GetValueKind() != JsonValueKind.Number) return $"answered category '{category}', which has no score to combine.";
                number = score.GetValue<double>();
                return null;
            default:
                return $"answered {value?.ToJsonString() ?? "nothing"}, which is not a number, a boolean or a scored category.";
        }
    }

    private static string Label(JsonObject child) =>
        child["id"]?.GetValue<string>() is { } id ? $"{child["name"]?.GetValue<string>()} (id {id})" : child["name"]?.GetValue<string>() ?? "";

    private static EvaluationResult Failed(string name, string why) =>
        EvaluationResult.Failed(EvaluationErrorCodes.Composite, $"The composite metric '{name}' cannot be computed: {why}");
}

/// <summary>
/// How a COMPOSITE combines its children, named by its <c>criteria</c> (case and spaces ignored): <c>weighted_average</c>
/// (the default: Σ weight·value / Σ weight), <c>sum</c> (Σ weight·value), <c>min</c> and <c>max</c> (of the values, weights
/// ignored), <c>all_pass</c> and <c>any_pass</c> (a boolean from the children's threshold verdicts; a child without a
/// threshold cannot take part). Values are each child's score as a number, divided by the child's <c>scale</c> when the
/// child entry gives one.
/// </summary>
public sealed record CompositeAggregate(string Name)
{
    public static readonly string[] Names = ["weighted_average", "sum", "min", "max", "all_pass", "any_pass"];

    public sealed record Child(string Name, JsonNode? Raw, double Value, double Weight, bool? Passed);

    public static CompositeAggregate Parse(string? criteria)
    {
        var key = (criteria ?? "").Trim().ToLowerInvariant().Replace(' ', '_').Replace('-', '_');
        return new CompositeAggregate(Names.Contains(key) ? key : "weighted_average");
    }

    public JsonNode? Combine(IReadOnlyList<Child> children, out string? error)
    {
        error = null;
        switch (Name)
        {
            case "all_pass" or "any_pass":
                if (children.FirstOrDefault(c => c.Passed is null) is { } undecided)
                {
                    error = $"{Name} needs every child's pass/fail, and child metric '{undecided.Name}' has no threshold that applies.";
                    return null;
                }
                return JsonValue.Create(Name == "all_pass" ? children.All(c => c.Passed == true) : children.Any(c => c.Passed == true));
            case "sum":
                return JsonValue.Create(children.Sum(c => c.Weight * c.Value));
            case "min":
                return JsonValue.Create(children.Min(c => c.Value));
            case "max":
                return JsonValue.Create(children.Max(c => c.Value));
            default:
                var total = children.Sum(c => c.Weight);
                if (total == 0)
                {
                    error = "the children's weights add up to 0, so no weighted average exists.";
                    return null;
                }
                return JsonValue.Create(children.Sum(c => c.Weight * c.Value) / total);
        }
    }

    /// <summary>"weighted_average of accuracy = 1 (weight 2), judge = 4 → 0.8 (weight 1): 0.933".</summary>
    public string Explain(IReadOnlyList<Child> children, JsonNode value) =>
        $"{Name} of " + string.Join(", ", children.Select(c =>
        {
            var raw = c.Raw?.ToJsonString() ?? "null";
            var normalized = c.Raw?.GetValueKind() == JsonValueKind.Number && c.Raw.GetValue<double>() == c.Value ? raw : $"{raw} → {Format(c.Value)}";
            var verdict = c.Passed is { } passed ? passed ? ", passed" : ", failed" : "";
            return $"{c.Name} = {normalized} (weight {Format(c.Weight)}{verdict})";
        })) + $": {(value.GetValueKind() == JsonValueKind.Number ? Format(value.GetValue<double>()) : value.ToJsonString())}";

    private static string Format(double number) => Math.Round(number, 4).ToString(CultureInfo.InvariantCulture);
}
