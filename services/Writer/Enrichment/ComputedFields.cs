using System.Globalization;
using System.Text.Json;
using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer.Enrichment;

/// <summary>
/// Fields derived from the event itself: duration from its times (or end from start + duration),
/// total_tokens from prompt + completion, and a model call's cost from the price table. A value the
/// client sent is kept: HoneyHive lets clients send metadata.cost themselves. Works on the row's
/// bucket values, which are JSON text.
/// </summary>
public sealed class ComputedFields(ModelPrices prices)
{
    public void Apply(EventRow row)
    {
        if (row.Duration <= 0 && row.EndMs > row.StartMs && row.StartMs > 0)
            row.Duration = row.EndMs - row.StartMs;
        else if (row.EndMs <= 0 && row.StartMs > 0)
            row.EndMs = row.StartMs + Math.Max(0, row.Duration);

        var metadata = row.Metadata;
        var prompt = Number(metadata, "prompt_tokens");
        var completion = Number(metadata, "completion_tokens");
        if (Number(metadata, "total_tokens") is null && (prompt is not null || completion is not null))
            metadata["total_tokens"] = Json((prompt ?? 0) + (completion ?? 0));

        if (row.EventType == "model" && !metadata.ContainsKey("cost") && (prompt is not null || completion is not null)
            && Model(row) is { } model && prices.Find(row.ProjectId, model) is { } price)
        {
            metadata["cost"] = Json(price.CostOf(prompt ?? 0, completion ?? 0));
        }
    }

    /// <summary>config.model (HoneyHive's place), else metadata.model.</summary>
    private static string? Model(EventRow row) =>
        Text(row.Config, "model") ?? Text(row.Metadata, "model");

    /// <summary>A bucket value that is a JSON string, unquoted.</summary>
    private static string? Text(Dictionary<string, string> bucket, string key) =>
        bucket.TryGetValue(key, out var json) && json.StartsWith('"') ? JsonSerializer.Deserialize<string>(json) : null;

    /// <summary>A bucket value that is a JSON number, or a JSON string holding one (some SDKs send "123").</summary>
    internal static double? Number(Dictionary<string, string> bucket, string key)
    {
        if (!bucket.TryGetValue(key, out var json) || json.Length == 0) return null;
        var text = json[0] == '"' && json.Length >= 2 ? json.AsSpan(1, json.Length - 2) : json.AsSpan();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
    }

    /// <summary>A number as JSON text: integers without a fraction, others in the shortest round-trip form.</summary>
    internal static string Json(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? ((long)value).ToString(CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
}
