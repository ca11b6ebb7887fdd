using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using static HoneyHive.DataPlane.Tests.Evaluators.EvaluatorTestData;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>LLM judges through the in-process LLM proxy to the fake OpenAI upstream: prompts, answers, errors, keys and limits.</summary>
[Collection(EvaluationCollection.Name)]
public sealed class LlmEvaluatorTests(EvaluationFixture fixture)
{
    private const string Prompt = "Question: {{inputs.question}} Answer: {{ outputs.content }} Truth: {{feedback.ground_truth}} Locale: {{metadata.locale}}";

    [Fact]
    public async Task A_judge_scoring_4_of_5_gives_4_with_its_explanation_and_its_prompt_carries_the_events_values()
    {
        var model = NewModel("float");
        fixture.Judge(model, """{"score": 4, "explanation": "Right, but terse."}""");
        var metric = Judge(model, Prompt, scale: 5, extra: new JsonObject { ["threshold"] = new JsonObject { ["min"] = 3 } });

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric), default);

        Assert.True(result.Success, result.Message);
        Assert.Equal(4, result.Value!.GetValue<double>());
        Assert.Equal("Right, but terse.", result.Explanation);
        Assert.True(result.Passed);
        var sent = Assert.Single(fixture.OpenAi.RequestsFor(model));
        Assert.Equal("Question: capital of France? Answer: Paris Truth: Paris Locale: fr-FR", sent.Body["messages"]![1]!["content"]!.GetValue<string>());
        Assert.Equal("system", sent.Body["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Contains("number from 0 to 5", sent.Body["messages"]![0]!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, sent.Body["temperature"]!.GetValue<double>());
        Assert.Equal("json_object", sent.Body["response_format"]!["type"]!.GetValue<string>());
        Assert.NotEqual(true, sent.Body["stream"]?.GetValue<bool>());
    }

    public static TheoryData<string, string, string, string?> LenientAnswers => new()
    {
        { "boolean", """{"score": true, "explanation": "yes"}""", "true", null },
        { "boolean", """{"score": "FALSE"}""", "false", null },
        { "boolean", "true", "true", null },
        { "categorical", """{"score": "GOOD", "explanation": "fine"}""", "\"Good\"", "Good,Bad" },
        { "categorical", "bad", "\"Bad\"", "Good,Bad" },
        { "float", "Score: 3 out of 5", "3", null },
        { "float", "```json\n{\"score\": 2.5}\n```", "2.5", null },
        { "string", """{"score": "concise"}""", "\"concise\"", null },
    };

    [Theory]
    [MemberData(nameof(LenientAnswers))]
    public async Task An_answer_is_read_as_the_return_type_leniently_where_no_meaning_is_invented(string returnType, string answer, string expected, string? categories)
    {
        var model = NewModel(returnType);
        fixture.Judge(model, answer);
        var extra = new JsonObject();
        if (categories is not null)
            extra["categories"] = new JsonArray([.. categories.Split(',').Select((c, i) => (JsonNode)new JsonObject { ["category"] = c, ["score"] = 1 - i })]);
        var metric = Judge(model, Prompt, returnType, returnType == "float" ? 5 : null, extra);

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric), default);

        Assert.True(result.Success, $"{answer}: {result.ErrorCode} {result.Message}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result.Value), $"{answer}: {result.Value?.ToJsonString()}");
    }

    public static TheoryData<string, string, string?> UnreadableAnswers => new()
    {
        { "float", "I cannot decide.", null },
        { "float", """{"score": 7}""", null },
        { "boolean", """{"score": "maybe"}""", null },
        { "categorical", """{"score": "excellent"}""", "Good,Bad" },
    };

    [Theory]
    [MemberData(nameof(UnreadableAnswers))]
    public async Task An_answer_that_is_not_the_return_type_is_llm_response_parse_error_quoting_it(string returnType, string answer, string? categories)
    {
        var model = NewModel("bad-" + returnType);
        fixture.Judge(model, answer);
        var extra = new JsonObject();
        if (categories is not null)
            extra["categories"] = new JsonArray([.. categories.Split(',').Select(c => (JsonNode)new JsonObject { ["category"] = c, ["score"] = null })]);
        var metric = Judge(model, Prompt, returnType, returnType == "float" ? 5 : null, extra);

        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, metric), default);

        Assert.False(result.Success);
        Assert.Equal(EvaluationErrorCodes.LlmResponseParse, result.ErrorCode);
        Assert.Contains(answer, result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Judge {{ outputs.missing }} please", "outputs.missing")]
    [InlineData("Judge {{feedback.rating}}", "feedback.rating")]
    [InlineData("Judge {{ }}", "empty variable")]
    [InlineData("Judge {{outputs.content", "unclosed")]
    public async Task A_variable_the_event_lacks_is_template_render_error_naming_it_and_no_judge_is_called(string criteria, string named)
    {
        var model = NewModel("template");
        var result = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Judge(model, criteria)), default);

        Assert.False(result.Success);
        Assert.Equal(EvaluationErrorCodes.TemplateRender, result.ErrorCode);
        Assert.Contains(named, result.Message, StringComparison.Ordinal);
        Assert.Empty(fixture.OpenAi.RequestsFor(model));
    }

    [Fact]
    public async Task A_provider_failure_is_llm_provider_error_with_the_proxys_message()
    {
        var model = NewModel("refused");
        fixture.OpenAi.Script(model, FakeOpenAiUpstream.Error(400, "The model does not exist.", "invalid_request_error"));

        var refused = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Judge(model, Prompt)), default);
        var keyless = Judge("claude-judge", Prompt);
        keyless["model_provider"] = "anthropic";
        var noKey = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, keyless), default);

        Assert.Equal(EvaluationErrorCodes.LlmProvider, refused.ErrorCode);
        Assert.Contains("The model does not exist.", refused.Message, StringComparison.Ordinal);
        Assert.Equal(EvaluationErrorCodes.LlmProvider, noKey.ErrorCode);
        Assert.Contains("no key for provider 'anthropic'", noKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_judge_calls_the_provider_with_its_own_projects_workspace_key_only()
    {
        var model = NewModel("keys");
        fixture.Judge(model, """{"score": 1}""", """{"score": 2}""");

        var forA = await fixture.Evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Judge(model, Prompt)), default);
        var forD = await fixture.Evaluator.EvaluateAsync(Request(Tenants.D.ProjectId, Judge(model, Prompt)), default);

        Assert.True(forA.Success && forD.Success, forA.Message + forD.Message);
        var keys = fixture.OpenAi.RequestsFor(model).Select(r => r.Headers["authorization"]).ToList();
        Assert.Equal(["Bearer " + EvaluationFixture.KeyAbc, "Bearer " + EvaluationFixture.KeyD], keys);
    }

    [Fact]
    public async Task A_project_over_its_proxy_rate_limit_makes_the_engine_busy_with_a_retry_after()
    {
        // Project C may make one call a minute (the fixture's proxy limit): its second judge call is refused by the proxy.
        var model = NewModel("limited");
        fixture.Judge(model, """{"score": 1}""", """{"score": 1}""");

        var first = await fixture.Evaluator.EvaluateAsync(Request(Tenants.C.ProjectId, Judge(model, Prompt)), default);
        var busy = await Assert.ThrowsAsync<EvaluatorBusyException>(() => fixture.Evaluator.EvaluateAsync(Request(Tenants.C.ProjectId, Judge(model, Prompt)), default));

        Assert.True(first.Success, first.Message);
        Assert.True(busy.RetryAfter > TimeSpan.Zero);
        Assert.Single(fixture.OpenAi.RequestsFor(model));
    }
}
