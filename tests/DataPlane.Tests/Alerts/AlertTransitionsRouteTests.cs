using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using HoneyHive.Platform.Postgres;
using HoneyHive.DataPlane.Api;

namespace HoneyHive.DataPlane.Tests.Alerts;

/// <summary>GET /v1/alerts/{alert_id}/transitions: the engine's history, for the caller's project only.</summary>
[Collection(AlertCollection.Name)]
public sealed class AlertTransitionsRouteTests(AlertHarness harness) : IAsyncLifetime
{
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:dpdb"] = harness.DpdbConnectionString;
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddPostgres(DataPlaneApiModule.Database);
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAlertsApi();
        await app.StartAsync();
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    private HttpClient Client(string key)
    {
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task The_history_is_read_newest_first_by_its_project_and_is_404_for_another()
    {
        var alert = await harness.AlertAsync(AlertHarness.Definition(Tenants.A.ProjectId, thresholds: AlertHarness.Thresholds(critical: 80, resolved: 30)));
        var clock = new ManualClock(new DateTimeOffset(2027, 8, 1, 0, 0, 0, TimeSpan.Zero));
        await harness.Recorder(clock).EvaluateAsync(alert, null, (a, _) => Task.FromResult<IReadOnlyList<AlertJudgement>>(
            [new AlertJudgement(new AlertResult(90, null, null, 5, null, null, a.Thresholds, a.Aggregation), 90)]), CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(1));
        await harness.Recorder(clock).EvaluateAsync(alert, null, (a, _) => Task.FromResult<IReadOnlyList<AlertJudgement>>(
            [new AlertJudgement(new AlertResult(10, null, null, 5, null, null, a.Thresholds, a.Aggregation), 10)]), CancellationToken.None);

        using var own = await Client("key-a").GetAsync(new Uri($"/v1/alerts/{alert}/transitions", UriKind.Relative));
        using var foreign = await Client("key-b").GetAsync(new Uri($"/v1/alerts/{alert}/transitions", UriKind.Relative));
        using var unknown = await Client("key-a").GetAsync(new Uri($"/v1/alerts/{Guid.NewGuid()}/transitions", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var body = JsonNode.Parse(await own.Content.ReadAsStringAsync())!;
        Assert.Equal(AlertNames.StageOk, body["stage"]!.GetValue<string>());
        var stages = body["transitions"]!.AsArray().Select(t => t!["stage"]!.GetValue<string>()).ToList();
        Assert.Equal([AlertNames.StageResolution, AlertNames.StageCritical], stages);
        Assert.Equal(90, body["transitions"]![1]!["result"]!["current_bucket_score"]!.GetValue<double>());
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
