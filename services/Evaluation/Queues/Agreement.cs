using System.Text.Json.Nodes;

namespace HoneyHive.Evaluation.Queues;

/// <summary>How far a judge (an automatic metric) agrees with the people on the items both scored.</summary>
/// <param name="N">Items with both a human value and the judge's.</param>
/// <param name="ExactAgreement">Share of those where both are the same value (null when N is 0).</param>
/// <param name="CohensKappa">Agreement beyond chance, for boolean and categorical metrics (null otherwise, or when undefined).</param>
/// <param name="MeanAbsoluteError">For float metrics: mean |human - judge|.</param>
/// <param name="Pearson">For float metrics: the correlation (null below two pairs or when either side does not vary).</param>
public sealed record AgreementResult(int N, double? ExactAgreement, double? CohensKappa, double? MeanAbsoluteError, double? Pearson);

/// <summary>The agreement statistics over (human, judge) pairs.</summary>
public static class Agreement
{
    public static AgreementResult Compute(string returnType, IReadOnlyList<(JsonNode Human, JsonNode Judge)> pairs)
    {
        if (returnType == "float")
        {
            var numeric = pairs.Select(p => (H: AsNumber(p.Human), J: AsNumber(p.Judge))).Where(p => p.H is not null && p.J is not null)
                .Select(p => (H: p.H!.Value, J: p.J!.Value)).ToList();
            if (numeric.Count == 0) return new AgreementResult(0, null, null, null, null);
            var exact = numeric.Count(p => Math.Abs(p.H - p.J) < 1e-9) / (double)numeric.Count;
            var mae = numeric.Average(p => Math.Abs(p.H - p.J));
            return new AgreementResult(numeric.Count, exact, null, mae, Pearson(numeric));
        }

        var labels = pairs.Select(p => (H: Label(p.Human), J: Label(p.Judge))).Where(p => p.H is not null && p.J is not null)
            .Select(p => (H: p.H!, J: p.J!)).ToList();
        if (labels.Count == 0) return new AgreementResult(0, null, null, null, null);
        var observed = labels.Count(p => p.H == p.J) / (double)labels.Count;
        var kappa = returnType is "boolean" or "categorical" ? Kappa(labels, observed) : null;
        return new AgreementResult(labels.Count, observed, kappa, null, null);
    }

    /// <summary>Cohen's kappa: (po - pe) / (1 - pe), pe the chance agreement from each side's label frequencies.</summary>
    private static double? Kappa(IReadOnlyList<(string H, string J)> labels, double observed)
    {
        double n = labels.Count;
        var expected = labels.Select(p => p.H).Concat(labels.Select(p => p.J)).Distinct(StringComparer.Ordinal)
            .Sum(label => labels.Count(p => p.H == label) / n * (labels.Count(p => p.J == label) / n));
        // Both sides always gave the same one label: agreement beyond chance is undefined.
        return expected >= 1 ? null : (observed - expected) / (1 - expected);
    }

    private static double? Pearson(IReadOnlyList<(double H, double J)> pairs)
    {
        if (pairs.Count < 2) return null;
        var mh = pairs.Average(p => p.H);
        var mj = pairs.Average(p => p.J);
        var cov = pairs.Sum(p => (p.H - mh) * (p.J - mj));
        var vh = pairs.Sum(p => (p.H - mh) * (p.H - mh));
        var vj = pairs.Sum(p => (p.J - mj) * (p.J - mj));
        return vh == 0 || vj == 0 ? null : cov / Math.Sqrt(vh * vj);
    }

    private static double? AsNumber(JsonNode node) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.Number => node.GetValue<double>(),
        System.Text.Json.JsonValueKind.True => 1,
        System.Text.Json.JsonValueKind.False => 0,
        System.Text.Json.JsonValueKind.String when double.TryParse(node.GetValue<string>(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static string StringLabel(string text) => text switch
    {
        "True" or "TRUE" => "true",
        "False" or "FALSE" => "false",
        _ => text,
    };

    /// <summary>A label to compare: booleans and categories as their text; a judge's "true" string equals a human true.</summary>
    private static string? Label(JsonNode node) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.True => "true",
        System.Text.Json.JsonValueKind.False => "false",
        System.Text.Json.JsonValueKind.String => StringLabel(node.GetValue<string>()),
        System.Text.Json.JsonValueKind.Number => node.ToJsonString(),
        _ => null,
    };
}
