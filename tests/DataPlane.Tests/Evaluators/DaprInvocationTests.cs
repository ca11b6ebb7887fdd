using System.Net;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.Llm;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.Evaluation;
using HoneyHive.Platform.Invocation;
using HoneyHive.PythonMetric.Tests;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static HoneyHive.DataPlane.Tests.Evaluators.EvaluatorTestData;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>
/// Distributed mode: <see cref="DaprMetricEvaluator"/> → a sidecar speaking Dapr's HTTP invoke API → the dp-evaluation
/// app in Dapr mode; and <see cref="DaprModelCompletions"/> → the sidecar → an app answering the proxy's invocation route
/// (refusals included). Each app takes only calls carrying its app token.
/// </summary>
public sealed class DaprInvocationTests
{
    private const string Token = "app-token-for-eval-tests-0123456789";

    private static JsonObject Human() => Canonical(new JsonObject { ["name"] = "tone", ["type"] = "HUMAN", ["criteria"] = "Polite?", ["return_type"] = "boolean" });

    [Fact]
    public async Task An_evaluation_through_the_sidecar_reaches_dp_evaluation_and_answers_its_result()
    {
        await using var app = await StartAsync(Token, a => a.MapEvaluation(), b => b.AddEvaluation());
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        sidecar.AppToken = Token;
        var evaluator = DaprMetricEvaluator.Create(sidecar.Address.ToString());
        var scored = Event();
        scored["feedback"]!["tone"] = true;

        var result = await evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Human(), scored), default);
        var unscored = await evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Human()), default);

        Assert.True(result.Success, result.Message);
        Assert.True(result.Value!.GetValue<bool>());
        Assert.Equal(EvaluationErrorCodes.NotEvaluable, unscored.ErrorCode);
        var call = sidecar.Calls.First();
        Assert.Equal("dp-evaluation", call.AppId);
        Assert.Equal(EvaluationInvocation.EvaluateMethod, call.Method);
        Assert.Equal(Tenants.A.ProjectId.ToString(), JsonNode.Parse(call.Body)!["project_id"]!.GetValue<string>());
        Assert.DoesNotContain(call.Headers, h => h.Value.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dp_evaluation_refuses_a_call_with_a_wrong_token_or_none_and_without_a_configured_token_every_call()
    {
        await using var app = await StartAsync(Token, a => a.MapEvaluation(), b => b.AddEvaluation());
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        await using var unconfigured = await StartAsync(null, a => a.MapEvaluation(), b => b.AddEvaluation());
        await using var unconfiguredSidecar = await InvocationSidecar.StartAsync(unconfigured.Address);
        unconfiguredSidecar.AppToken = Token;
        var evaluator = DaprMetricEvaluator.Create(sidecar.Address.ToString());

        foreach (var token in new string?[] { null, "wrong-token", Token + "x" })
        {
            sidecar.AppToken = token;
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Human()), default));
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"token {token ?? "(none)"}: {refused.Message}");
        }
        var never = await Assert.ThrowsAsync<HttpRequestException>(() =>
            DaprMetricEvaluator.Create(unconfiguredSidecar.Address.ToString()).EvaluateAsync(Request(Tenants.A.ProjectId, Human()), default));
        sidecar.AppToken = Token;
        var honest = await evaluator.EvaluateAsync(Request(Tenants.A.ProjectId, Human()), default);

        Assert.Equal(HttpStatusCode.Unauthorized, never.StatusCode);
        Assert.Contains("APP_API_TOKEN is not configured", never.Message, StringComparison.Ordinal);
        Assert.Equal(EvaluationErrorCodes.NotEvaluable, honest.ErrorCode);
    }

    [Fact]
    public async Task A_completion_through_the_sidecar_answers_the_completion_and_a_refusal_keeps_its_status_code_and_retry_after()
    {
        // Stands in for dp-llm-proxy's invocation route: answers one completion, then refuses as the proxy's limit does.
        var answers = new Queue<Func<HttpResponseMessageLike>>(
        [
            () => new HttpResponseMessageLike(200, FakeOpenAiUpstream.Completion("m", "fine").ToJsonString(), null),
            () => new HttpResponseMessageLike(429, """{"error":{"message":"Project over its rate limit.","type":"rate_limit_error","code":"rate_limit_exceeded"}}""", "7"),
        ]);
        await using var app = await StartAsync(Token, a => a.MapPost("/" + ModelCompletionsInvocation.CompleteMethod, async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            var answer = answers.Dequeue()();
            context.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is { } wait) context.Response.Headers.RetryAfter = wait;
            context.Response.ContentType = "application/json";
            await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, answer.Body);
        }), _ => { });
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        sidecar.AppToken = Token;
        var completions = DaprModelCompletions.Create(sidecar.Address.ToString());
        var request = new ModelCompletionRequest(Tenants.A.ProjectId.ToString(), new JsonObject { ["model"] = "openai/m" }, EventId: "e-1");

        var completion = await completions.CompleteAsync(request, default);
        var refused = await Assert.ThrowsAsync<ModelCompletionException>(() => completions.CompleteAsync(request, default));

        Assert.Equal("fine", completion["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(429, refused.Status);
        Assert.Equal("rate_limit_exceeded", refused.Code);
        Assert.Equal("Project over its rate limit.", refused.Message);
        Assert.Equal(TimeSpan.FromSeconds(7), refused.RetryAfter);
        var call = sidecar.Calls.First();
        Assert.Equal("dp-llm-proxy", call.AppId);
        Assert.Equal("e-1", JsonNode.Parse(call.Body)!["eventId"]!.GetValue<string>());
    }

    private sealed record HttpResponseMessageLike(int Status, string Body, string? RetryAfter);

    private sealed class App(WebApplication app, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<App> StartAsync(string? appToken, Action<WebApplication> map, Action<WebApplicationBuilder> compose)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Hosting:Mode"] = "Dapr";
        if (appToken is not null) builder.Configuration[PythonMetricInvocation.AppApiTokenVariable] = appToken;
        builder.Services.AddApiRequestErrors();
        compose(builder);
        var app = builder.Build();
        app.UseExceptionHandler();
        map(app);
        await app.StartAsync();
        return new App(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
