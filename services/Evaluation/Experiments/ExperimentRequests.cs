using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.ServiceDefaults;
using HoneyHive.Workflows;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>A validated <c>POST /v1/experiments</c> body.</summary>
public sealed record ExperimentRequest(string Name, Guid DatasetId, Guid ConfigurationId, IReadOnlyList<string> Metrics, int Concurrency);

/// <summary>Reads experiment bodies field by field, so a 400 names the field at fault, and resolves metric references.</summary>
public static class ExperimentRequests
{
    public const int MaxName = 200;

    public static ExperimentRequest ParseExperiment(JsonObject body, ExperimentOptions options)
    {
        var name = body["name"] is JsonValue n && n.TryGetValue<string>(out var s) && s.Trim().Length > 0 && s.Length <= MaxName
            ? s
            : throw ApiRequestException.BadRequest("name", $"name is a non-blank string of at most {MaxName} characters.");
        return new ExperimentRequest(name, Id(body, "dataset_id"), Id(body, "configuration_id"),
            Metrics(body, options), Concurrency(body, options));
    }

    /// <summary>The metric references (ids or names) of a body's <c>metrics</c>: 1 to MaxMetrics distinct strings.</summary>
    public static IReadOnlyList<string> Metrics(JsonObject body, ExperimentOptions options)
    {
        if (body["metrics"] is not JsonArray array || array.Count == 0 || array.Count > options.MaxMetrics)
            throw ApiRequestException.BadRequest("metrics", $"metrics is an array of 1 to {options.MaxMetrics} metric ids or names.");
        var references = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Trim().Length == 0)
                throw ApiRequestException.BadRequest($"metrics[{i}]", "Each metric is named by its id or its name (a string).");
            references.Add(v.GetValue<string>());
        }

        return references.Distinct(StringComparer.Ordinal).ToList();
    }

    public static int Concurrency(JsonObject body, ExperimentOptions options)
    {
        var node = body["concurrency"];
        if (node is null) return options.DefaultConcurrency;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var c) && c >= 1 && c <= options.MaxConcurrency
            ? c
            : throw ApiRequestException.BadRequest("concurrency", $"concurrency is an integer from 1 to {options.MaxConcurrency}.");
    }

    /// <summary>
    /// Each reference to the project's stored metric, pinned to its deployed version: an id first, else a name. Unknown is
    /// 404 naming the item (another project's metric is unknown); a HUMAN metric is 400, since people score it in queues.
    /// </summary>
    public static async Task<IReadOnlyList<MetricRef>> ResolveMetricsAsync(
        MetricStore store, Guid project, IReadOnlyList<string> references, CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredMetric>? all = null;
        var resolved = new List<MetricRef>(references.Count);
        for (var i = 0; i < references.Count; i++)
        {
            var reference = references[i];
            StoredMetric? metric = null;
            if (Guid.TryParse(reference, out var id)) metric = await store.GetAsync(project, id, cancellationToken);
            if (metric is null)
            {
                all ??= await store.ListAsync(project, null, null, 10_000, cancellationToken);
                metric = all.FirstOrDefault(m => m.Content["name"]?.GetValue<string>() == reference);
            }

            if (metric is null) throw ApiRequestException.NotFound($"metrics[{i}]", "No such metric in this project.");
            if (metric.Content["type"]?.GetValue<string>() == "HUMAN")
                throw ApiRequestException.BadRequest($"metrics[{i}]", "HUMAN metrics are scored by people in annotation queues, not by an experiment.");
            var name = metric.Content["name"]!.GetValue<string>();
            if (resolved.All(r => r.Id != metric.Id.ToString()))
                resolved.Add(new MetricRef(metric.Id.ToString(), metric.DeployedVersion, name));
        }

        return resolved;
    }

    private static Guid Id(JsonObject body, string field) =>
        body[field] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw ApiRequestException.BadRequest(field, $"{field} is a UUID.");
}
