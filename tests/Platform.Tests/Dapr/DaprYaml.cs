using System.Globalization;
using System.Text.RegularExpressions;
using HoneyHive.Contracts;
using YamlDotNet.RepresentationModel;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// Reads the distributed-mode files the way the tests compare them: the Dapr resources of each mode
/// (<c>components/</c> for <c>dapr run</c>, <c>deploy/k8s/components/</c> for Kubernetes), the run file,
/// the Kubernetes Deployments kustomize applies, and which service project declares which app id.
/// </summary>
internal static partial class DaprYaml
{
    public const string Local = "local";
    public const string Kubernetes = "k8s";

    public static readonly string Root = FindRepositoryRoot();

    /// <summary>The Dapr resources (Component, Resiliency, Configuration) of a mode.</summary>
    public static IReadOnlyList<YamlMappingNode> Resources(string mode)
    {
        var files = mode switch
        {
            Local => Directory.EnumerateFiles(Path.Combine(Root, "components"), "*.yaml"),
            Kubernetes => KustomizeResources().Where(f => f.Contains("/components/", StringComparison.Ordinal)),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        return files.SelectMany(Load).Where(r => Scalar(r, "apiVersion").StartsWith("dapr.io/", StringComparison.Ordinal)).ToList();
    }

    public static Dictionary<string, YamlMappingNode> ComponentsOf(string mode) =>
        Resources(mode).Where(r => Kind(r) == "Component").ToDictionary(r => Scalar(r, "metadata", "name"));

    public static YamlMappingNode ResiliencyOf(string mode) => Xunit.Assert.Single(Resources(mode), r => Kind(r) == "Resiliency");

    /// <summary>Files listed under <c>resources:</c> of deploy/k8s/kustomization.yaml, as full paths.</summary>
    public static IEnumerable<string> KustomizeResources()
    {
        var directory = Path.Combine(Root, "deploy", "k8s");
        var kustomization = Load(Path.Combine(directory, "kustomization.yaml")).Single();
        return Sequence(kustomization, "resources").Select(n => Path.GetFullPath(Path.Combine(directory, ((YamlScalarNode)n).Value!)));
    }

    /// <summary>The Deployments kustomize applies, keyed by their <c>dapr.io/app-id</c> annotation.</summary>
    public static Dictionary<string, YamlMappingNode> KubernetesDeployments() =>
        KustomizeResources().SelectMany(Load).Where(r => Kind(r) == "Deployment")
            .ToDictionary(d => Annotations(d)["dapr.io/app-id"]);

    public static Dictionary<string, string> Annotations(YamlMappingNode deployment) =>
        Mapping(deployment, "spec", "template", "metadata", "annotations").Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

    public static YamlMappingNode RunFile() => Load(Path.Combine(Root, "dapr.yaml")).Single();

    public static List<YamlMappingNode> RunFileApps() => Sequence(RunFile(), "apps").Cast<YamlMappingNode>().ToList();

    /// <summary>Each app id with the service folder whose module declares it (<c>AppId = AppIds.X;</c>).</summary>
    public static Dictionary<string, string> ServiceDirectories()
    {
        var constants = typeof(AppIds).GetFields().Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        var result = new Dictionary<string, string>();
        foreach (var directory in Directory.EnumerateDirectories(Path.Combine(Root, "services")))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.cs", SearchOption.TopDirectoryOnly))
            {
                var match = AppIdDeclaration().Match(File.ReadAllText(file));
                if (match.Success) result.Add(constants[match.Groups[1].Value], directory);
            }
        }

        return result;
    }

    /// <summary>The C# sources of a service folder, build output excluded.</summary>
    public static IEnumerable<string> SourcesOf(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>Started or deployed apps whose sources mention one of <paramref name="words"/>.</summary>
    public static List<string> AppsWhoseCodeMentions(params string[] words)
    {
        var services = ServiceDirectories();
        return DaprDeploymentTests.AppsWithCode()
            .Where(app => SourcesOf(services[app]).Select(File.ReadAllText).Any(text => words.Any(w => text.Contains(w, StringComparison.Ordinal))))
            .Order().ToList();
    }

    /// <summary>Apps that publish or subscribe.</summary>
    public static List<string> PubSubUsers() => AppsWhoseCodeMentions("IEventPublisher", "AddBatchSubscription");

    public static IEnumerable<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        Xunit.Assert.NotEmpty(stream.Documents);
        return stream.Documents.Select(d => Xunit.Assert.IsType<YamlMappingNode>(d.RootNode));
    }

    public static string Kind(YamlMappingNode resource) => Scalar(resource, "kind");

    public static YamlMappingNode Mapping(YamlMappingNode node, params string[] path)
    {
        foreach (var key in path)
        {
            Xunit.Assert.True(node.Children.ContainsKey(new YamlScalarNode(key)), $"no '{key}' in {string.Join('.', path)}");
            node = Xunit.Assert.IsType<YamlMappingNode>(node.Children[new YamlScalarNode(key)]);
        }

        return node;
    }

    public static string Scalar(YamlMappingNode node, params string[] path)
    {
        var parent = Mapping(node, path[..^1]);
        Xunit.Assert.True(parent.Children.ContainsKey(new YamlScalarNode(path[^1])), $"no '{string.Join('.', path)}'");
        return Xunit.Assert.IsType<YamlScalarNode>(parent.Children[new YamlScalarNode(path[^1])]).Value!;
    }

    public static string? OptionalScalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    public static IList<YamlNode> Sequence(YamlMappingNode node, string key) =>
        Xunit.Assert.IsType<YamlSequenceNode>(node.Children[new YamlScalarNode(key)]).Children;

    public static List<string> Scopes(YamlMappingNode resource) =>
        resource.Children.ContainsKey(new YamlScalarNode("scopes"))
            ? Sequence(resource, "scopes").Select(n => ((YamlScalarNode)n).Value!).ToList()
            : [];

    /// <summary>Every metadata entry of a component: name to its value, or to the secretKeyRef it names.</summary>
    public static Dictionary<string, string> MetadataOf(YamlMappingNode component)
    {
        var spec = Mapping(component, "spec");
        if (!spec.Children.ContainsKey(new YamlScalarNode("metadata"))) return [];
        return Sequence(spec, "metadata").Cast<YamlMappingNode>().ToDictionary(
            m => Scalar(m, "name"),
            m => OptionalScalar(m, "value") ?? "secretKeyRef:" + Scalar(m, "secretKeyRef", "name") + "/" + Scalar(m, "secretKeyRef", "key"));
    }

    /// <summary>A Go duration as Dapr writes them in resiliency and component metadata (<c>500ms</c>, <c>60s</c>, <c>1m30s</c>).</summary>
    public static TimeSpan GoDuration(string text)
    {
        var parts = GoDurationPart().Matches(text);
        Xunit.Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)) == text, $"'{text}' is not a Go duration");
        return parts.Aggregate(TimeSpan.Zero, (sum, part) =>
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            return sum + part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                var unit => throw new Xunit.Sdk.XunitException($"unit {unit} in '{text}'"),
            };
        });
    }

    /// <summary>A Kubernetes resource quantity in binary units (<c>4Mi</c>, <c>512Ki</c>) as bytes.</summary>
    public static long Quantity(string text)
    {
        var match = QuantityPattern().Match(text);
        Xunit.Assert.True(match.Success, $"'{text}' is not a binary quantity");
        var value = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return value << match.Groups[2].Value switch { "Ki" => 10, "Mi" => 20, "Gi" => 30, _ => 0 };
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HoneyHive.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"No HoneyHive.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"AppId\s*=\s*AppIds\.(\w+)\s*;")]
    private static partial Regex AppIdDeclaration();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)")]
    private static partial Regex GoDurationPart();

    [GeneratedRegex(@"^(\d+)(Ki|Mi|Gi)?$")]
    private static partial Regex QuantityPattern();
}
