using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api;
using HoneyHive.Evaluation.Evaluators.Llm;
using HoneyHive.Evaluation.Evaluators;
using HoneyHive.Evaluation.Experiments;
using HoneyHive.Evaluation.Online;
using HoneyHive.Evaluation.Queues;
using HoneyHive.Evaluation.Scores;
using HoneyHive.Platform.Invocation;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Evaluation;

/// <summary>
/// The evaluation engine: evaluators of every metric type behind <see cref="IMetricEvaluator"/>, online evaluation
/// (tasks on evaluation.>), experiment workflows and annotation queues. Single node: a module of the Host.
/// Distributed: the <c>dp-evaluation</c> app.
/// </summary>
public static class EvaluationModule
{
    public const string AppId = AppIds.Evaluation;

    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.AddEvaluationEngine();
        builder.AddQueues();
        builder.AddExperiments();
        builder.AddOnlineEvaluation();
        return builder;
    }

    /// <summary>
    /// The evaluators behind <see cref="IMetricEvaluator"/>, the services they call and the score publisher: what every
    /// part of the engine (online evaluation, experiments, queues) builds on, and all a test of the evaluators needs.
    /// </summary>
    public static IHostApplicationBuilder AddEvaluationEngine(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<MetricRunOptions>().Bind(builder.Configuration.GetSection(MetricRunOptions.Section));
        // Distributed mode: PYTHON metrics run in dp-python-metric; single node: the Host's in-process pool.
        builder.AddPythonMetricInvocation();
        // Distributed mode: LLM judges call dp-llm-proxy; single node: the Host's proxy module answers in process.
        builder.AddModelCompletionsInvocation();
        builder.AddEvaluators();
        builder.Services.TryAddSingleton<ScorePublisher>();
        return builder;
    }

    /// <summary>The evaluator of each metric type and the <see cref="IMetricEvaluator"/> in front of them.</summary>
    public static IHostApplicationBuilder AddEvaluators(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluator, PythonEvaluator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluator, LlmEvaluator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluator, CompositeEvaluator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluator, HumanEvaluator>());
        // COMPOSITE children are the project's stored metrics (resolved when a composite runs, so the other types need no dpdb).
        builder.AddPostgres(DataPlaneApiModule.Database);
        builder.Services.TryAddSingleton<MetricStore>();
        builder.Services.TryAddSingleton<MetricEvaluator>();
        builder.Services.TryAddSingleton<IMetricEvaluator>(sp => sp.GetRequiredService<MetricEvaluator>());
        return builder;
    }

    public static RouteGroupBuilder MapEvaluation(this IEndpointRouteBuilder app)
    {
        // Every public route declares its permission; one that does not is refused to every caller (fail closed).
        var group = app.MapGroup("").RequireDeclaredPermissions().WithGroupName(ApiDocuments.DataPlane);
        group.MapQueuesApi();
        group.MapExperimentsApi();
        // Dapr mode (the dp-evaluation app): evaluations by service invocation, authenticated by daprd's app token, so
        // outside the permission group. Local mode maps nothing: the Host's DP API calls the engine in process.
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        if (configuration.GetHostingMode() == HostingMode.Dapr) app.MapEvaluationInvocation(configuration);
        return group;
    }
}
