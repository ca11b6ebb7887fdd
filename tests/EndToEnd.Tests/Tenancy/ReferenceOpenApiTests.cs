using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using YamlDotNet.Serialization;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// Our published OpenAPI documents (DP and CP <c>/openapi/v1.json</c>) against HoneyHive's reference
/// specs in <c>reference/</c>. An operation is (method, path) with every <c>{param}</c> name
/// normalized to <c>{}</c>. Each reference operation is either served (in our documents) or listed
/// in <see cref="NotServed"/> with the issue that brings it. Its "shape" here is: the number of path
/// parameters; whether a request body is declared; the request body's required top-level properties
/// (ours must be among the reference's: we never require what its clients may leave out); and the
/// success (2xx) status codes declared, which must be the same set. Error codes are not compared:
/// the reference declares few of them. Shares the tenancy Host (one Host start for both).
/// </summary>
[Collection(TenancyCollection.Name)]
public sealed partial class ReferenceOpenApiTests(TenancyHost host, ITestOutputHelper output)
{
    private static readonly string[] Specs = ["honeyhive-openapi.yaml", "honeyhive-data-plane-openapi.yaml", "honeyhive-control-plane-openapi.yaml"];

    /// <summary>Reference operations we do not serve yet, and the issue that will bring each.</summary>
    private static readonly Dictionary<string, string> NotServed = new(StringComparer.Ordinal)
    {
        // Empty: every reference operation is served. One that must wait is listed here with the issue that brings it.
    };

    /// <summary>Served operations whose shape differs from the reference today, and why; a fix must remove the entry.</summary>
    private static readonly Dictionary<string, string> KnownDrift = new(StringComparer.Ordinal)
    {
        // Empty: every served operation matches the reference's shape. A drift that must stay is listed here with its reason.
    };

    [Fact]
    public async Task Every_reference_operation_is_served_with_its_shape_or_listed_as_not_served()
    {
        var reference = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var spec in Specs)
            foreach (var (key, shape) in Operations(ReadYaml(spec)))
                reference.TryAdd(key, shape);

        var ours = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var api in new[] { host.DataPlaneApi, host.ControlPlaneApi })
        {
            using var client = host.Client(api);
            var document = JsonNode.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!;
            foreach (var (key, shape) in Operations(document)) ours.TryAdd(key, shape);
        }

        var failures = new List<string>();
        var notServed = reference.Keys.Where(k => !ours.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        foreach (var key in notServed.Where(k => !NotServed.ContainsKey(k)))
            failures.Add($"not served and not listed in NotServed: {key}");
        foreach (var key in NotServed.Keys.Where(ours.ContainsKey))
            failures.Add($"served now, remove it from NotServed: {key}");
        foreach (var key in NotServed.Keys.Where(k => !reference.ContainsKey(k)))
            failures.Add($"listed in NotServed but not in the reference: {key}");

        foreach (var (key, expected) in reference)
        {
            if (!ours.TryGetValue(key, out var actual)) continue;
            var drift = expected.Drift(actual);
            if (drift is null && KnownDrift.ContainsKey(key)) failures.Add($"no longer drifts, remove it from KnownDrift: {key}");
            if (drift is not null && !KnownDrift.ContainsKey(key)) failures.Add($"drifts from the reference: {key}: {drift}");
        }

        output.WriteLine($"Reference operations not served yet ({notServed.Count}):");
        foreach (var key in notServed) output.WriteLine($"  {key}  -> {NotServed.GetValueOrDefault(key, "(not listed)")}");
        Assert.True(failures.Count == 0, $"{failures.Count} differences from the reference:\n" + string.Join("\n", failures));
        Assert.True(reference.Count >= 90, $"Only {reference.Count} reference operations read.");
    }

    /// <summary>What this test compares of one operation.</summary>
    private sealed record Shape(int PathParameters, bool HasBody, IReadOnlySet<string>? Required, IReadOnlySet<string> Success)
    {
        public string? Drift(Shape ours)
        {
            var problems = new List<string>();
            if (ours.PathParameters != PathParameters) problems.Add($"path parameters {ours.PathParameters}, reference {PathParameters}");
            if (ours.HasBody != HasBody) problems.Add(HasBody ? "no request body declared" : "a request body the reference does not have");
            if (ours.Required is { } required && Required is { } allowed && required.Except(allowed).ToList() is { Count: > 0 } extra)
                problems.Add("requires " + string.Join(", ", extra));
            if (Success.Count > 0 && !Success.SetEquals(ours.Success))
                problems.Add($"success codes {string.Join(",", ours.Success.Order())}, reference {string.Join(",", Success.Order())}");
            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
    }

    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    private static IEnumerable<(string Key, Shape Shape)> Operations(JsonNode document)
    {
        if (document["paths"] is not JsonObject paths) yield break;
        foreach (var (path, item) in paths)
        {
            if (item is not JsonObject operations) continue;
            var normalized = Parameter().Replace(path, "{}");
            var pathLevel = CountPathParameters(operations["parameters"]);
            foreach (var method in Methods)
            {
                if (operations[method] is not JsonObject operation) continue;
                var body = operation["requestBody"] is JsonObject requestBody ? Resolve(document, requestBody) : null;
                var schema = body?["content"]?["application/json"]?["schema"] is JsonObject s ? Resolve(document, s) : null;
                var required = schema?["required"] is JsonArray names ? names.Select(n => n!.ToString()).ToHashSet(StringComparer.Ordinal) : null;
                var success = operation["responses"] is JsonObject responses
                    ? responses.Select(r => r.Key).Where(code => code.StartsWith('2')).ToHashSet(StringComparer.Ordinal)
                    : [];
                var pathParameters = Math.Max(pathLevel, CountPathParameters(operation["parameters"]));
                yield return ($"{method.ToUpperInvariant()} {normalized}", new Shape(pathParameters, body is not null, required, success));
            }
        }
    }

    private static int CountPathParameters(JsonNode? parameters) =>
        parameters is JsonArray list ? list.Count(p => p?["in"]?.ToString() == "path") : 0;

    /// <summary>Follows a local <c>$ref</c> (<c>#/components/...</c>).</summary>
    private static JsonObject? Resolve(JsonNode document, JsonObject node)
    {
        for (var depth = 0; depth < 5 && node["$ref"] is JsonValue reference; depth++)
        {
            JsonNode? target = document;
            foreach (var part in reference.ToString().TrimStart('#', '/').Split('/')) target = target?[part.Replace("~1", "/", StringComparison.Ordinal)];
            if (target is not JsonObject found) return null;
            node = found;
        }

        return node;
    }

    /// <summary>A reference spec from the repository's reference/ folder, as JSON.</summary>
    private static JsonNode ReadYaml(string name)
    {
        var folder = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(folder, "HoneyHive.sln")))
            folder = Path.GetDirectoryName(folder.TrimEnd('/')) ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        var yaml = new DeserializerBuilder().Build().Deserialize(new StringReader(File.ReadAllText(Path.Combine(folder, "reference", name))));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
        return JsonNode.Parse(json)!;
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
