using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace HoneyHive.Writer.Enrichment;

/// <summary>USD per one million tokens.</summary>
public readonly record struct ModelPrice(double Input, double Output)
{
    public double CostOf(double promptTokens, double completionTokens) =>
        (promptTokens * Input + completionTokens * Output) / 1_000_000d;
}

/// <summary>
/// Per-model prices: the table shipped in model-prices.json, overridden per project by
/// <c>Writer:Prices:&lt;project&gt;:&lt;model&gt;:Input</c> / <c>:Output</c>. A model matches exactly,
/// then by its longest known prefix, so dated releases (<c>gpt-4o-2024-08-06</c>) price as their family;
/// a provider prefix (<c>openai/gpt-4o</c>) is ignored.
/// </summary>
public sealed class ModelPrices
{
    private readonly Dictionary<string, ModelPrice> defaults;
    private readonly Dictionary<string, Dictionary<string, ModelPrice>> perProject;

    public ModelPrices(IConfiguration configuration)
    {
        defaults = LoadDefaults();
        perProject = new(StringComparer.Ordinal);
        foreach (var project in configuration.GetSection("Writer:Prices").GetChildren())
        {
            var models = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
            foreach (var model in project.GetChildren())
            {
                models[model.Key] = new ModelPrice(
                    double.Parse(model["Input"] ?? "0", CultureInfo.InvariantCulture),
                    double.Parse(model["Output"] ?? "0", CultureInfo.InvariantCulture));
            }

            perProject[project.Key] = models;
        }
    }

    /// <summary>The price of <paramref name="model"/> in <paramref name="projectId"/>, or null when unknown.</summary>
    public ModelPrice? Find(string projectId, string model)
    {
        var name = model.Trim();
        var slash = name.LastIndexOf('/');
        if (slash >= 0) name = name[(slash + 1)..];
        if (name.Length == 0) return null;
        if (perProject.TryGetValue(projectId, out var overrides) && Match(overrides, name) is { } custom) return custom;
        return Match(defaults, name);
    }

    private static ModelPrice? Match(Dictionary<string, ModelPrice> table, string name)
    {
        if (table.TryGetValue(name, out var exact)) return exact;
        ModelPrice? best = null;
        var bestLength = 0;
        foreach (var (known, price) in table)
        {
            // A prefix must end at a separator: "o1" prices "o1-2024-12-17", not "o1x".
            if (known.Length > bestLength && name.Length > known.Length
                && name.StartsWith(known, StringComparison.OrdinalIgnoreCase) && name[known.Length] is '-' or '@' or ':' or '.')
            {
                best = price;
                bestLength = known.Length;
            }
        }

        return best;
    }

    private static Dictionary<string, ModelPrice> LoadDefaults()
    {
        using var stream = typeof(ModelPrices).Assembly.GetManifestResourceStream("HoneyHive.Writer.model-prices.json")
            ?? throw new InvalidOperationException("The embedded model price table is missing.");
        using var document = JsonDocument.Parse(stream);
        var table = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Object) continue;
            table[property.Name] = new ModelPrice(property.Value.GetProperty("input").GetDouble(), property.Value.GetProperty("output").GetDouble());
        }

        return table;
    }
}
