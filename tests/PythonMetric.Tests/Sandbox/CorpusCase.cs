using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>
/// One file of the corpus: the source and what its header comment says must happen. Header lines are
/// <c># key: value</c> before the code: <c>expect</c> (<c>value: json</c>, or an error code and an
/// optional message fragment), <c>return_type</c>, <c>categories</c> (a|b), and for cross-tenant cases a
/// second source after <c># --- tenant B ---</c> with its own <c>then-expect</c>.
/// </summary>
public sealed record CorpusCase(string Name, string Source, string? TenantBSource, IReadOnlyDictionary<string, string> Header)
{
    private const string TenantBMarker = "# --- tenant B ---\n";

    public static string Folder(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", kind);

    public static IEnumerable<string> Names(string kind) =>
        Directory.EnumerateFiles(Folder(kind), "*.py").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static CorpusCase Load(string kind, string name)
    {
        var text = File.ReadAllText(Path.Combine(Folder(kind), name + ".py")).ReplaceLineEndings("\n");
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').TakeWhile(l => l.StartsWith("# ", StringComparison.Ordinal)))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 2) header.TryAdd(line[2..colon].Trim(), line[(colon + 1)..].Trim());
        }

        var split = text.Split(TenantBMarker);
        return new CorpusCase(name, split[0], split.Length > 1 ? split[1] : null, header);
    }

    public string Expect => Header.TryGetValue("expect", out var e) ? e : throw new InvalidDataException($"{Name}: no '# expect:' line");

    public PythonMetricRunRequest Request(string project, string source) =>
        new(project, $"{Name}-{project}", "metric", source, Header.GetValueOrDefault("return_type", "float"),
            Header.TryGetValue("categories", out var categories) ? categories.Split('|') : null,
            new JsonObject { ["outputs"] = new JsonObject { ["content"] = "hello" } }, 10_000);

    /// <summary>Asserts a result against an expectation line (value: json, or code[: fragment]).</summary>
    public static void AssertOutcome(string name, string expectation, PythonMetricRunResult result)
    {
        var colon = expectation.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? expectation : expectation[..colon].Trim();
        var rest = colon < 0 ? "" : expectation[(colon + 1)..].Trim();
        var shown = $"{name}: {result.ErrorCode} {result.Message} {result.Result?.ToJsonString()}";
        if (kind == "value")
        {
            Assert.True(result.Success, shown);
            var expected = JsonNode.Parse(rest);
            if (expected is JsonValue number && number.TryGetValue<double>(out var d))
                Assert.Equal(d, (double)result.Result!, 9);
            else
                Assert.Equal(expected?.ToJsonString(), result.Result?.ToJsonString());
            return;
        }

        Assert.Contains(kind, PythonMetricErrorCodes.All);
        Assert.False(result.Success, shown);
        Assert.Equal(kind, result.ErrorCode);
        Assert.Contains(rest, result.Message ?? "", StringComparison.Ordinal);
    }
}
