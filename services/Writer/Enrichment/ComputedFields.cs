using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Writer.Enrichment;

/// <summary>
/// Fields derived from the event itself: duration from its times (or end from start + duration),
/// total_tokens from prompt + completion, and a model call's cost from the price table. A value the
/// client sent is kept: HoneyHive lets clients send metadata.cost themselves.
/// </summary>
public sealed class ComputedFields(ModelPrices prices)
{
    public void Apply(EventRecord record)
    {
        if (record.Duration <= 0 && record.EndTime > record.StartTime && record.StartTime > 0)
            record.Duration = record.EndTime - record.StartTime;
        else if (record.EndTime <= 0 && record.StartTime > 0)
            record.EndTime = record.StartTime + Math.Max(0, record.Duration);

        var metadata = record.Metadata;
        var prompt = Number(metadata, "prompt_tokens");
        var completion = Number(metadata, "completion_tokens");
        if (Number(metadata, "total_tokens") is null && (prompt is not null || completion is not null))
            metadata["total_tokens"] = (prompt ?? 0) + (completion ?? 0);

        if (record.EventType == "model" && !metadata.ContainsKey("cost") && (prompt is not null || completion is not null)
            && Model(record) is { } model && prices.Find(record.ProjectId, model) is { } price)
        {
            metadata["cost"] = price.CostOf(prompt ?? 0, completion ?? 0);
        }
    }

    /// <summary>config.model (HoneyHive's place), else metadata.model.</summary>
    private static string? Model(EventRecord record) =>
        Text(record.Config, "model") ?? Text(record.Metadata, "model");

    private static string? Text(JsonObject bucket, string key) =>
        bucket[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    internal static double? Number(JsonObject bucket, string key)
    {
        if (bucket[key] is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            // The text form works whatever .NET type backs the node (JsonElement, long, double...).
            JsonValueKind.Number => double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
            JsonValueKind.String when double.TryParse(value.GetValue<string>(), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }
}
