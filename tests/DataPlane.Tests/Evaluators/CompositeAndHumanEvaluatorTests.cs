using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using static HoneyHive.DataPlane.Tests.Evaluators.EvaluatorTestData;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>COMPOSITE metrics over the project's stored PYTHON and LLM metrics, and HUMAN metrics read from the event.</summary>
[Collection(EvaluationCollection.Name)]
public sealed class CompositeAndHumanEvaluatorTests(EvaluationFixture fixture)
{
    private const string ExactMatch = "def metric(event):\n    return event['outputs']['content'] == event['ground_truth']\n";

    private static JsonObject Composite(string criteria, params JsonObject[] children) => Canonical(new JsonObject
    {
        ["name"] = "overall",
        ["type"] = "COMPOSITE",
        ["criteria"] = criteria,
        ["child_metrics"] = new JsonArray([.. children]),
        ["threshold"] = new JsonObject { ["min"] = 0.9 },
    });

    private static JsonObject Child(string name, double weight, int? scale = null) => new() { ["name"] = name, ["weight"] = weight, ["scale"] = scale };

    /// <summary>A PYTHON exact-match child and an LLM judge child (answering <paramref name="judged"/> on a 1-5 scale), stored in project A.</summary>
    private async Task<(string Exact, string Judge)> StoreChildrenAsync(params string[] judged)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var model = NewModel("child");
        fixture.Judge(model, judged);
        var exact = "exact-" + suffix;
        var judge = "judge-" + suffix;
        await fixture.StoreMetricAsync(Tenants.A.ProjectId, new JsonObject
        {
            ["name"] = exact, ["type"] = "PYTHON", ["criteria"] = ExactMatch, ["return_type"] = "boolean",
            ["threshold"] = new JsonObject { ["pass_when"] = true },
        });
        var judgeMetric = Judge(model, "Is {{outputs.content}} the capital asked in {{inputs.question}}?", scale: 5,
            extra: new JsonObject { ["threshold"] = new JsonObject { ["min"] = 4.5 } });
        judgeMetric["name"] = judge;
        await fixture.StoreMetricAsync(Tenants.A.ProjectId, judgeMetric);
        return (exact, judge);
    }

    [Fact]
    public async Task A_composite_is_the_weighted_average_of_a_python_and_an_llm_child_and_its_threshold_judges_it()
    {
        var (exact, judge) = await StoreChildrenAsync("""{"score": 4, "explanation": "close"}""", """{"score": 4}""");

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite("weighted_average", Child(exact, 2), Child(judge, 1, scale: 5))), default);
        var failing = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite("Weighted average", Child(exact, 1), Child(judge, 3, scale: 5))), default);

        Assert.True(result.Success, result.Message);
        Assert.Equal((2 * 1 + 1 * 0.8) / 3, result.Value!.GetValue<double>(), 9);
        Assert.True(result.Passed);
        Assert.Contains($"{exact} = true → 1 (weight 2, passed)", result.Explanation, StringComparison.Ordinal);
        Assert.Contains($"{judge} = 4 → 0.8 (weight 1, failed)", result.Explanation, StringComparison.Ordinal);
        Assert.True(failing.Success, failing.Message);
        Assert.Equal((1 * 1 + 3 * 0.8) / 4, failing.Value!.GetValue<double>(), 9);
        Assert.False(failing.Passed);
    }

    [Theory]
    [InlineData("min", "0.8")]
    [InlineData("max", "1")]
    [InlineData("sum", "1.8")]
    [InlineData("all_pass", "false")]
    [InlineData("any_pass", "true")]
    public async Task The_criteria_may_name_another_aggregate(string aggregate, string expected)
    {
        var (exact, judge) = await StoreChildrenAsync("""{"score": 4}""");

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite(aggregate, Child(exact, 1), Child(judge, 1, scale: 5))), default);

        Assert.True(result.Success, result.Message);
        var value = result.Value!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), value.GetValueKind() == System.Text.Json.JsonValueKind.Number ? JsonValue.Create(Math.Round(value.GetValue<double>(), 9)) : value),
            $"{aggregate}: {value.ToJsonString()}");
    }

    [Fact]
    public async Task A_composite_naming_another_projects_metric_by_name_or_id_does_not_find_it()
    {
        var name = "d-only-" + Guid.NewGuid().ToString("N")[..8];
        var id = await fixture.StoreMetricAsync(Tenants.D.ProjectId, new JsonObject { ["name"] = name, ["type"] = "PYTHON", ["criteria"] = "def metric(event):\n    return 1\n" });

        var byName = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite("weighted_average", Child(name, 1))), default);
        var byId = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite("weighted_average", new JsonObject { ["id"] = id.ToString(), ["name"] = name, ["weight"] = 1 })), default);
        var own = await fixture.Evaluator.EvaluateAsync(Request(Tenants.D.ProjectId, Composite("weighted_average", Child(name, 1))), default);

        Assert.Equal(EvaluationErrorCodes.Composite, byName.ErrorCode);
        Assert.Contains($"'{name}' is not a metric of this project", byName.Message, StringComparison.Ordinal);
        Assert.Equal(EvaluationErrorCodes.Composite, byId.ErrorCode);
        Assert.Contains("is not a metric of this project", byId.Message, StringComparison.Ordinal);
        Assert.True(own.Success, own.Message);
        Assert.Equal(1, own.Value!.GetValue<double>());
    }

    [Fact]
    public async Task A_failing_child_fails_the_composite_naming_the_child_and_its_error()
    {
        var name = "raises-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.StoreMetricAsync(Tenants.A.ProjectId, new JsonObject { ["name"] = name, ["type"] = "PYTHON", ["criteria"] = "def metric(event):\n    return 1 / 0\n" });

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Composite("weighted_average", Child(name, 1))), default);

        Assert.Equal(EvaluationErrorCodes.Composite, result.ErrorCode);
        Assert.Contains($"child metric '{name}' failed (execution_error)", result.Message, StringComparison.Ordinal);
        Assert.Contains("ZeroDivisionError", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_composite_that_contains_itself_is_refused_instead_of_recursing()
    {
        var name = "loop-" + Guid.NewGuid().ToString("N")[..8];
        var definition = Composite("weighted_average", Child(name, 1));
        definition["name"] = name;
        var id = await fixture.StoreMetricAsync(Tenants.A.ProjectId, definition);

        var result = await fixture.Evaluator.EvaluateAsync(new EvaluationRequest(Tenants.A.ProjectId.ToString(), Canonical(definition), id.ToString(), 1, Event()), default);

        Assert.Equal(EvaluationErrorCodes.Composite, result.ErrorCode);
        Assert.Contains("leads back", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_human_metric_answers_the_score_on_the_event_and_is_not_evaluable_without_one()
    {
        var metric = Canonical(new JsonObject
        {
            ["name"] = "helpfulness", ["type"] = "HUMAN", ["criteria"] = "Rate helpfulness 1-5.", ["threshold"] = new JsonObject { ["min"] = 3 },
        });
        var scored = Event();
        scored["metrics"] = new JsonObject { ["helpfulness"] = 4, ["helpfulness_explanation"] = "clear answer" };
        var feedback = Event();
        feedback["feedback"]!["helpfulness"] = 2;

        var fromMetrics = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric, scored), default);
        var fromFeedback = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric, feedback), default);
        var unscored = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric), default);

        Assert.Equal(4, fromMetrics.Value!.GetValue<double>());
        Assert.Equal("clear answer", fromMetrics.Explanation);
        Assert.True(fromMetrics.Passed);
        Assert.Equal(2, fromFeedback.Value!.GetValue<double>());
        Assert.False(fromFeedback.Passed);
        Assert.Equal(EvaluationErrorCodes.NotEvaluable, unscored.ErrorCode);
        Assert.Contains("annotation queues", unscored.Message, StringComparison.Ordinal);
    }
}
