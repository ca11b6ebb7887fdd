using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// The aggregate functions of the result and compare routes. Percentiles (and the median)
/// interpolate linearly between the closest ranks — position (n − 1)·q in the sorted values,
/// numpy's default — so a percentile of two values lies between them instead of jumping to one.
/// </summary>
public static class Aggregates
{
    public const string Default = "average";

    public static readonly IReadOnlyList<string> Names = ["average", "min", "max", "median", "p90", "p95", "p99", "sum", "count"];

    /// <summary>The function's name, lowercased; a 400 naming aggregate_function when unknown.</summary>
    public static string Parse(string? name)
    {
        var function = string.IsNullOrWhiteSpace(name) ? Default : name.Trim().ToLowerInvariant();
        if (function is "avg" or "mean") function = "average";
        if (!Names.Contains(function))
            throw ApiRequestException.BadRequest("aggregate_function", "aggregate_function is one of " + string.Join(", ", Names) + ".");
        return function;
    }

    public static double Compute(string function, IReadOnlyList<double> values)
    {
        if (function == "count") return values.Count;
        if (values.Count == 0) return 0;
        return function switch
        {
            "average" => values.Average(),
            "min" => values.Min(),
            "max" => values.Max(),
            "sum" => values.Sum(),
            "median" => Percentile(values, 0.5),
            "p90" => Percentile(values, 0.9),
            "p95" => Percentile(values, 0.95),
            "p99" => Percentile(values, 0.99),
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown aggregate function."),
        };
    }

    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = (sorted.Length - 1) * q;
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
