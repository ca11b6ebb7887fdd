using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Metrics;
using Microsoft.Extensions.Caching.Memory;

namespace HoneyHive.Evaluation.Online;

/// <summary>A deployed metric that runs on production traffic: its stored id, the deployed version and its definition.</summary>
public sealed record OnlineMetric(Guid Id, int Version, JsonObject Definition)
{
    public string Name => Definition["name"]!.GetValue<string>();

    public double SamplingPercentage =>
        Definition["sampling_percentage"] is { } value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : 10;

    public bool NeedsGroundTruth => Definition["needs_ground_truth"]?.GetValue<bool>() == true;
}

/// <summary>
/// The deployed metrics of a project that online evaluation runs: <c>enabled_in_prod</c>, of a type a machine evaluates
/// (PYTHON, LLM, COMPOSITE; HUMAN metrics are scored by people in annotation queues). Read from dpdb once per project per
/// <see cref="OnlineEvaluationOptions.MetricCacheTtl"/>, for at most <see cref="OnlineEvaluationOptions.MetricCacheMaxProjects"/>
/// projects, so a stream of event batches does not query the database per batch.
/// </summary>
public sealed class OnlineMetrics(MetricStore metrics, OnlineEvaluationOptions options) : IDisposable
{
    /// <summary>The metric types online evaluation runs.</summary>
    public static readonly IReadOnlySet<string> MachineTypes = new HashSet<string>(StringComparer.Ordinal) { "PYTHON", "LLM", "COMPOSITE" };

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = options.MetricCacheMaxProjects });

    public async Task<IReadOnlyList<OnlineMetric>> ForProjectAsync(Guid project, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(project, out IReadOnlyList<OnlineMetric>? cached) && cached is not null) return cached;
        var stored = await metrics.ListAsync(project, null, null, options.MaxMetricsPerProject, cancellationToken);
        IReadOnlyList<OnlineMetric> online = stored
            .Where(m => m.Content["enabled_in_prod"]?.GetValue<bool>() == true && MachineTypes.Contains(m.Content["type"]?.GetValue<string>() ?? ""))
            .Select(m => new OnlineMetric(m.Id, m.DeployedVersion, m.Content))
            .ToList();
        // A zero TTL turns the cache off (each batch reads dpdb once per project).
        if (options.MetricCacheTtl > TimeSpan.Zero)
            cache.Set(project, online, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.MetricCacheTtl });
        return online;
    }

    public void Dispose() => cache.Dispose();
}
