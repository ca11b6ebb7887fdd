using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.Llm;
using HoneyHive.Contracts.PythonMetrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Platform.Invocation;

/// <summary>Registers the clients of apps reached by Dapr service invocation.</summary>
public static class InvocationExtensions
{
    /// <summary>
    /// Dapr mode: <see cref="IPythonMetricRunner"/> is <see cref="DaprPythonMetricRunner"/> (TryAdd, so a process that
    /// composes the Python metric module itself keeps its in-process pool). Local mode: nothing.
    /// </summary>
    public static IHostApplicationBuilder AddPythonMetricInvocation(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetHostingMode() != HostingMode.Dapr) return builder;
        // DAPR_API_TOKEN authenticates us to our own sidecar (unset: the sidecar takes unauthenticated local calls).
        var sidecarToken = builder.Configuration["DAPR_API_TOKEN"];
        builder.Services.TryAddSingleton<IPythonMetricRunner>(_ => DaprPythonMetricRunner.Create(daprApiToken: string.IsNullOrEmpty(sidecarToken) ? null : sidecarToken));
        return builder;
    }

    /// <summary>
    /// Dapr mode: <see cref="IModelCompletions"/> is <see cref="DaprModelCompletions"/> (TryAdd, so a process that composes
    /// the LLM proxy itself keeps its in-process completions). Local mode: nothing.
    /// </summary>
    public static IHostApplicationBuilder AddModelCompletionsInvocation(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetHostingMode() != HostingMode.Dapr) return builder;
        var sidecarToken = builder.Configuration["DAPR_API_TOKEN"];
        builder.Services.TryAddSingleton<IModelCompletions>(_ => DaprModelCompletions.Create(daprApiToken: string.IsNullOrEmpty(sidecarToken) ? null : sidecarToken));
        return builder;
    }

    /// <summary>
    /// Dapr mode: <see cref="IMetricEvaluator"/> is <see cref="DaprMetricEvaluator"/> (TryAdd, so a process that composes
    /// the evaluation engine itself keeps its in-process evaluator). Local mode: nothing.
    /// </summary>
    public static IHostApplicationBuilder AddMetricEvaluatorInvocation(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetHostingMode() != HostingMode.Dapr) return builder;
        var sidecarToken = builder.Configuration["DAPR_API_TOKEN"];
        builder.Services.TryAddSingleton<IMetricEvaluator>(_ => DaprMetricEvaluator.Create(daprApiToken: string.IsNullOrEmpty(sidecarToken) ? null : sidecarToken));
        return builder;
    }
}
