using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static HoneyHive.DataPlane.Tests.Evaluators.EvaluatorTestData;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>POST /v1/metrics/run for every metric type through the evaluation engine, as the Host serves it.</summary>
[Collection(EvaluationCollection.Name)]
public sealed class MetricRunEvaluatorRouteTests(EvaluationFixture fixture)
{
    private static JsonObject Inline(JsonObject metric)
    {
        // A run's body carries the definition as a caller writes it: the canonical form's nulls are simply absent.
        var body = new JsonObject();
        foreach (var (key, value) in metric)
            if (value is not null && key is not ("filters" or "enabled_in_prod" or "sampling_percentage" or "description")) body[key] = value.DeepClone();
        return body;
    }

    [Fact]
    public async Task An_LLM_metric_runs_and_answers_its_score_explanation_and_verdict()
    {
        var model = NewModel("route");
        fixture.Judge(model, """{"score": 5, "explanation": "Exactly right."}""");
        var metric = Inline(Judge(model, "Is {{outputs.content}} right for {{inputs.question}}?", scale: 5,
            extra: new JsonObject { ["threshold"] = new JsonObject { ["min"] = 4 } }));

        var (status, body) = await PostAsync(new JsonObject { ["metric"] = metric, ["event"] = Event() });

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.False(body["loading"]!.GetValue<bool>());
        Assert.Equal(5, body["result"]!.GetValue<double>());
        Assert.Equal("Exactly right.", body["explanation"]!.GetValue<string>());
        Assert.True(body["passed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_metric_without_a_threshold_answers_no_passed_field()
    {
        var (status, body) = await PostAsync(new JsonObject
        {
            ["metric"] = new JsonObject { ["name"] = "len", ["type"] = "PYTHON", ["criteria"] = "def metric(event):\n    return len(event['outputs']['content'])\n" },
            ["event"] = Event(),
        });

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(5, body["result"]!.GetValue<double>());
        Assert.False(body.ContainsKey("passed"));
    }

    [Fact]
    public async Task An_unreadable_judge_answer_is_422_llm_response_parse_error_and_a_missing_variable_422_template_render_error()
    {
        var model = NewModel("route-bad");
        fixture.Judge(model, "no idea");

        var (parseStatus, parse) = await PostAsync(new JsonObject { ["metric"] = Inline(Judge(model, "Rate {{outputs.content}}")), ["event"] = Event() });
        var (renderStatus, render) = await PostAsync(new JsonObject { ["metric"] = Inline(Judge(model, "Rate {{outputs.nothing}}")), ["event"] = Event() });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, parseStatus);
        Assert.Equal("llm_response_parse_error", parse["errorCode"]!.GetValue<string>());
        Assert.Contains("no idea", parse["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, renderStatus);
        Assert.Equal("template_render_error", render["errorCode"]!.GetValue<string>());
        Assert.Contains("outputs.nothing", render["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_composite_runs_over_the_callers_stored_metrics()
    {
        var name = "five-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.StoreMetricAsync(Tenants.A.ProjectId, new JsonObject { ["name"] = name, ["type"] = "PYTHON", ["criteria"] = "def metric(event):\n    return 5\n" });
        var composite = new JsonObject
        {
            ["name"] = "overall", ["type"] = "COMPOSITE", ["criteria"] = "weighted_average",
            ["child_metrics"] = new JsonArray(new JsonObject { ["name"] = name, ["weight"] = 1, ["scale"] = 10 }),
        };

        var (status, body) = await PostAsync(new JsonObject { ["metric"] = composite, ["event"] = Event() });
        var (otherStatus, other) = await PostAsync(new JsonObject { ["metric"] = composite.DeepClone(), ["event"] = Event() }, "key-d");

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(0.5, body["result"]!.GetValue<double>());
        Assert.Contains(name, body["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherStatus);
        Assert.Equal("composite_error", other["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_human_metric_answers_the_recorded_score_or_422_not_evaluable()
    {
        var metric = new JsonObject { ["name"] = "tone", ["type"] = "HUMAN", ["criteria"] = "Is the tone polite?", ["return_type"] = "boolean" };
        var scored = Event();
        scored["feedback"]!["tone"] = true;

        var (status, body) = await PostAsync(new JsonObject { ["metric"] = metric, ["event"] = scored });
        var (unscoredStatus, unscored) = await PostAsync(new JsonObject { ["metric"] = metric.DeepClone(), ["event"] = Event() });

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.True(body["result"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unscoredStatus);
        Assert.Equal("not_evaluable", unscored["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_judge_over_the_projects_proxy_limit_is_429_with_Retry_After()
    {
        // Project B may make one proxy call a minute (the fixture's limit): the first run spends it.
        var model = NewModel("route-limited");
        fixture.Judge(model, """{"score": 1}""", """{"score": 1}""");
        var request = new JsonObject { ["metric"] = Inline(Judge(model, "Rate {{outputs.content}}")), ["event"] = Event() };

        var (firstStatus, first) = await PostAsync(request.DeepClone().AsObject(), "key-b");
        using var client = fixture.Client("key-b");
        using var refused = await client.PostAsync(new Uri("/v1/metrics/run", UriKind.Relative), new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.True(firstStatus == HttpStatusCode.OK, first.ToJsonString());
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(JsonObject body, string key = "key-a")
    {
        using var client = fixture.Client(key);
        using var response = await client.PostAsync(new Uri("/v1/metrics/run", UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{(int)response.StatusCode}: {text}"));
    }
}
