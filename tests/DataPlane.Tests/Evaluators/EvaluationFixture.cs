using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.Llm;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.Evaluation;
using HoneyHive.LlmProxy;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using HoneyHive.PythonMetric;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Evaluators;

/// <summary>
/// The evaluation engine as the single-node Host composes it: the evaluators over the real Python worker pool, the LLM
/// proxy in process (real Redis limits, real NATS traces) in front of the fake OpenAI upstream, metrics in a fresh dpdb,
/// and the metric run routes on a TestServer. Workspace of A, B and C holds <see cref="KeyAbc"/>, D's workspace
/// <see cref="KeyD"/>; projects B and C may make one judge call a minute each (one limit test each), so a second is refused by the proxy's limit.
/// </summary>
public sealed class EvaluationFixture : IAsyncLifetime
{
    public const string KeyAbc = "sk-workspace-abc-0123456789";
    public const string KeyD = "sk-workspace-d-9876543210";

    private FreshDpdb database = null!;
    private WebApplication? app;

    public FakeOpenAiUpstream OpenAi { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    public IMetricEvaluator Evaluator => Services.GetRequiredService<IMetricEvaluator>();

    public IModelCompletions Completions => Services.GetRequiredService<IModelCompletions>();

    public string DpdbConnectionString => database.ConnectionString;

    /// <summary>The key the workspace secrets are encrypted with, for a second app over the same dpdb.</summary>
    public string MasterKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public MetricStore Metrics => Services.GetRequiredService<MetricStore>();

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_eval_", [Tenants.A, Tenants.B, Tenants.C, Tenants.D]);
        OpenAi = await FakeOpenAiUpstream.StartAsync();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:dpdb"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:nats"] = TestServers.NatsUrl;
        builder.Configuration["ConnectionStrings:redis"] = TestServers.Redis;
        builder.Configuration["State:KeyPrefix"] = $"hh-test-{Guid.NewGuid():N}:";
        builder.Configuration["Secrets:MasterKey"] = MasterKey;
        builder.Configuration["LlmProxy:ProviderBaseUrls:openai"] = OpenAi.BaseUrl;
        builder.Configuration["LlmProxy:BaseBackoff"] = "00:00:00.010";
        builder.Configuration["LlmProxy:MaxBackoff"] = "00:00:00.050";
        builder.Configuration["LlmProxy:MaxRetryAfter"] = "00:00:02";
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.C.ProjectId}:RequestsPerMinute"] = "1";
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.B.ProjectId}:RequestsPerMinute"] = "1";
        builder.Configuration["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        builder.Configuration["PythonMetric:PythonLibrary"] = TestServers.PythonLibrary;
        builder.Configuration["PythonMetric:RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        builder.Configuration["PythonMetric:Workers"] = "2";

        builder.Services.AddSingleton<IAnalyticsStore>(await SharedChdb.GetAsync("chdb"));
        builder.Services.AddSingleton<IObjectStore>(new FileSystemObjectStore(Path.Combine(TestServers.DataDirectory, "eval-objects"), NullLogger<FileSystemObjectStore>.Instance));
        builder.Services.AddApiRequestErrors();
        builder.AddDataPlaneQueries();
        builder.AddDefinitionStores();
        builder.AddEvaluationEngine();
        builder.AddPythonMetric();
        builder.AddLlmProxy();
        // After the proxy's own API-key authentication, so the test scheme is the default.
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMetricRunsApi();
        await app.StartAsync();

        var secrets = Services.GetRequiredService<ProviderSecretStore>();
        await secrets.PutAsync(Tenants.A.WorkspaceId, "openai", KeyAbc, CancellationToken.None);
        await secrets.PutAsync(Tenants.D.WorkspaceId, "openai", KeyD, CancellationToken.None);
    }

    /// <summary>The judge model <paramref name="model"/> answers these texts, in order, one per call.</summary>
    public void Judge(string model, params string[] answers) =>
        OpenAi.Script(model, [.. answers.Select(text => (Func<HttpContext, JsonObject, Task>)((context, _) =>
            context.Response.WriteAsJsonAsync(FakeOpenAiUpstream.Completion(model, text))))]);

    /// <summary>A stored (deployed) metric of <paramref name="project"/>, checked as the metrics API checks one.</summary>
    public async Task<Guid> StoreMetricAsync(Guid project, JsonObject definition)
    {
        var errors = new FieldErrors();
        var normalized = MetricDefinition.Normalize(JsonNode.Parse(definition.ToJsonString())!.AsObject(), errors);
        errors.ThrowIfAny();
        return await Metrics.CreateAsync(project, normalized, CancellationToken.None);
    }

    public HttpClient Client(string key = "key-a")
    {
        var client = app!.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        await OpenAi.DisposeAsync();
        await database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EvaluationCollection : ICollectionFixture<EvaluationFixture>
{
    public const string Name = "evaluation";
}
