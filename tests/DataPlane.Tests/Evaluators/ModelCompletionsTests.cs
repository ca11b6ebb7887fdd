using System.Text.Json.Nodes;
using HoneyHive.Contracts.Llm;
using HoneyHive.DataPlane.Tests.LlmProxy;
using static HoneyHive.DataPlane.Tests.Evaluators.EvaluatorTestData;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>Platform completions in process: routed with the project's workspace, traced as the project's model event.</summary>
[Collection(EvaluationCollection.Name)]
public sealed class ModelCompletionsTests(EvaluationFixture fixture)
{
    private static JsonObject Body(string model, string marker) => new()
    {
        ["model"] = "openai/" + model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = marker }),
        ["stream"] = true,
    };

    [Fact]
    public async Task A_completion_is_answered_unstreamed_and_traced_with_the_given_event_session_and_parent_ids()
    {
        var model = NewModel("traced");
        var marker = "marker-" + Guid.NewGuid();
        var eventId = Guid.NewGuid().ToString();
        var sessionId = Guid.NewGuid().ToString();
        var parentId = Guid.NewGuid().ToString();

        var answer = await fixture.Completions.CompleteAsync(new ModelCompletionRequest(Tenants.A.ProjectId.ToString(), Body(model, marker), sessionId, eventId, parentId), default);

        Assert.Equal("echo: " + marker, answer["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.NotEqual(true, Assert.Single(fixture.OpenAi.RequestsFor(model)).Body["stream"]?.GetValue<bool>());
        var traced = await PublishedModelEvents.WithMarkerAsync(marker);
        Assert.Equal(eventId, traced["event_id"]!.GetValue<string>());
        Assert.Equal(sessionId, traced["session_id"]!.GetValue<string>());
        Assert.Equal(parentId, traced["parent_id"]!.GetValue<string>());
        Assert.Equal(Tenants.A.ProjectId.ToString(), traced["project_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_given_ids_each_call_is_its_own_event_in_a_session_of_its_own()
    {
        var model = NewModel("untraced");
        var marker = "marker-" + Guid.NewGuid();

        await fixture.Completions.CompleteAsync(new ModelCompletionRequest(Tenants.A.ProjectId.ToString(), Body(model, marker)), default);

        var traced = await PublishedModelEvents.WithMarkerAsync(marker);
        Assert.True(Guid.TryParse(traced["event_id"]!.GetValue<string>(), out _));
        Assert.Equal(traced["session_id"]!.GetValue<string>(), traced["parent_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_completion_for_an_unknown_project_or_a_provider_refusal_throws_with_the_status_and_message()
    {
        var model = NewModel("refusal");
        fixture.OpenAi.Script(model, FakeOpenAiUpstream.Error(401, "Incorrect API key provided.", "invalid_request_error"));

        var unknown = await Assert.ThrowsAsync<ModelCompletionException>(() =>
            fixture.Completions.CompleteAsync(new ModelCompletionRequest(Guid.NewGuid().ToString(), Body(model, "x")), default));
        var refused = await Assert.ThrowsAsync<ModelCompletionException>(() =>
            fixture.Completions.CompleteAsync(new ModelCompletionRequest(Tenants.A.ProjectId.ToString(), Body(model, "x")), default));
        var invalid = await Assert.ThrowsAsync<ModelCompletionException>(() =>
            fixture.Completions.CompleteAsync(new ModelCompletionRequest(Tenants.A.ProjectId.ToString(), new JsonObject { ["model"] = "openai/" + model }), default));

        Assert.Equal(404, unknown.Status);
        Assert.Equal(401, refused.Status);
        Assert.Contains("Incorrect API key", refused.Message, StringComparison.Ordinal);
        Assert.Equal(400, invalid.Status);
        Assert.Contains("messages", invalid.Message, StringComparison.Ordinal);
    }
}
