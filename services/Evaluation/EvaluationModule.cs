using HoneyHive.Contracts;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.Evaluation.Evaluators;
using HoneyHive.Evaluation.Online;
using HoneyHive.Evaluation.Scores;
using HoneyHive.Platform.Invocation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<MetricRunOptions>().Bind(builder.Configuration.GetSection(MetricRunOptions.Section));
        // Distributed mode: PYTHON metrics run in dp-python-metric; single node: the Host's in-process pool.
        builder.AddPythonMetricInvocation();
        builder.AddEvaluators();
        builder.Services.TryAddSingleton<ScorePublisher>();
        builder.AddOnlineEvaluation();
        return builder;
    }

    /// <summary>The evaluator of each metric type and the <see cref="IMetricEvaluator"/> in front of them.</summary>
    public static IHostApplicationBuilder AddEvaluators(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluator, PythonEvaluator>());
        builder.Services.TryAddSingleton<MetricEvaluator>();
        builder.Services.TryAddSingleton<IMetricEvaluator>(sp => sp.GetRequiredService<MetricEvaluator>());
        return builder;
    }

    public static RouteGroupBuilder MapEvaluation(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
