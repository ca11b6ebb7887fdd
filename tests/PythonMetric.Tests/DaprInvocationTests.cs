using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.Platform.Invocation;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.PythonMetric.Tests;

/// <summary>
/// Distributed mode: the DP API's <see cref="DaprPythonMetricRunner"/> → a sidecar speaking Dapr's HTTP invoke API →
/// the real dp-python-metric app in Dapr mode with its worker pool. The app takes only calls carrying its app token.
/// </summary>
public sealed class DaprInvocationTests
{
    private const string Token = "app-token-for-tests-0123456789";

    [Fact]
    public async Task A_run_through_the_sidecar_reaches_dp_python_metric_and_answers_its_result()
    {
        await using var app = await PythonMetricApp.StartAsync("Dapr", Token);
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        sidecar.AppToken = Token;
        var runner = DaprPythonMetricRunner.Create(sidecar.Address.ToString());

        var result = await runner.RunAsync(PoolTests.Request("def metric(event):\n    return len(event['outputs']['content']) * 2\n", project: "project-dapr"), default);
        var failed = await runner.RunAsync(PoolTests.Request("def metric(event):\n    return 1 / 0\n"), default);

        Assert.True(result.Success, result.Message);
        Assert.Equal(10, (double)result.Result!);
        Assert.False(failed.Success);
        Assert.Equal(PythonMetricErrorCodes.Execution, failed.ErrorCode);
        Assert.Contains("ZeroDivisionError", failed.Message, StringComparison.Ordinal);

        var call = sidecar.Calls.First();
        Assert.Equal("dp-python-metric", call.AppId);
        Assert.Equal(PythonMetricInvocation.RunMethod, call.Method);
        var sent = JsonNode.Parse(call.Body)!;
        Assert.Equal("project-dapr", sent["project_id"]!.GetValue<string>());
        Assert.Equal("hello", sent["event"]!["outputs"]!["content"]!.GetValue<string>());
        // The caller never holds the app's token: daprd adds it on delivery.
        Assert.DoesNotContain(call.Headers, h => h.Value.Contains(Token, StringComparison.Ordinal));
        Assert.Equal(2, sidecar.Calls.Count);
    }

    [Fact]
    public async Task The_app_refuses_a_call_with_a_wrong_token_or_none_and_runs_nothing()
    {
        await using var app = await PythonMetricApp.StartAsync("Dapr", Token);
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        var runner = DaprPythonMetricRunner.Create(sidecar.Address.ToString());

        foreach (var token in new string?[] { null, "wrong-token", Token + "x", Token[..^1] })
        {
            sidecar.AppToken = token;
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => runner.RunAsync(PoolTests.Request("def metric(event):\n    return 1\n"), default));
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"token {token ?? "(none)"}: {refused.Message}");
        }

        // Directly, bypassing the sidecar, without the header: the same refusal.
        using var direct = new HttpClient { BaseAddress = app.Address };
        using var response = await direct.PostAsJsonAsync(new Uri("/" + PythonMetricInvocation.RunMethod, UriKind.Relative),
            PoolTests.Request("def metric(event):\n    return 1\n"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // And the right token still works: the refusals were the token's, not a broken app's.
        sidecar.AppToken = Token;
        var honest = await runner.RunAsync(PoolTests.Request("def metric(event):\n    return 7\n"), default);
        Assert.True(honest.Success, honest.Message);
    }

    [Fact]
    public async Task Without_a_configured_app_token_the_app_refuses_every_call()
    {
        await using var app = await PythonMetricApp.StartAsync("Dapr", appToken: null);
        await using var sidecar = await InvocationSidecar.StartAsync(app.Address);
        var runner = DaprPythonMetricRunner.Create(sidecar.Address.ToString());

        foreach (var token in new string?[] { null, "", "anything" })
        {
            sidecar.AppToken = token;
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => runner.RunAsync(PoolTests.Request("def metric(event):\n    return 1\n"), default));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("APP_API_TOKEN is not configured", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Dapr", false, typeof(DaprPythonMetricRunner))]
    [InlineData("Local", true, typeof(HoneyHive.PythonMetric.Pool.PythonWorkerPool))]
    [InlineData("Local", false, null)]
    public async Task The_runner_is_Dapr_invocation_in_Dapr_mode_and_the_in_process_pool_where_the_module_is_composed(string mode, bool module, Type? expected)
    {
        // As dp-api composes it (AddDataPlaneApi calls AddPythonMetricInvocation), and as the Host adds the module after it.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.Configuration["Hosting:Mode"] = mode;
        builder.AddPythonMetricInvocation();
        if (module) builder.AddPythonMetric();
        await using var services = builder.Services.BuildServiceProvider();

        Assert.Equal(expected, services.GetService<IPythonMetricRunner>()?.GetType());
    }

    [Fact]
    public async Task In_local_mode_the_app_maps_no_invocation_endpoint()
    {
        // The single-node Host maps MapPythonMetric on its DP port: nothing there may run code without a project key.
        await using var app = await PythonMetricApp.StartAsync("Local", Token);
        using var direct = new HttpClient { BaseAddress = app.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/" + PythonMetricInvocation.RunMethod, UriKind.Relative))
        {
            Content = JsonContent.Create(PoolTests.Request("def metric(event):\n    return 1\n")),
        };
        request.Headers.Add(PythonMetricInvocation.AppApiTokenHeader, Token);

        using var response = await direct.SendAsync(request);
        using var alive = await direct.GetAsync(new Uri("/alive", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
