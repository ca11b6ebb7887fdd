using System.Reflection;
using System.Text.RegularExpressions;
using HoneyHive.Contracts;
using YamlDotNet.RepresentationModel;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// daprd cannot run here, so the Dapr resources are checked against the code's names instead:
/// every YAML parses, components are exactly Contracts.Components, scopes are real app ids,
/// resiliency targets and policies exist, and dapr.yaml runs every service once.
/// </summary>
[Trait("Servers", "None")]
public sealed partial class DaprYamlTests
{
    private static readonly string Root = FindRepositoryRoot();
    private static readonly string ComponentsDirectory = Path.Combine(Root, "components");

    [Fact]
    public void Components_are_exactly_the_names_in_Contracts()
    {
        var names = Resources().Where(r => Kind(r) == "Component").Select(r => Scalar(r, "metadata", "name")).ToList();

        Assert.Equal(ConstantsOf(typeof(Components)).Order(), names.Order());
    }

    [Fact]
    public void Components_have_the_types_the_architecture_names()
    {
        var components = Resources().Where(r => Kind(r) == "Component").ToDictionary(r => Scalar(r, "metadata", "name"));

        Assert.Equal("pubsub.jetstream", Scalar(components[Components.PubSub], "spec", "type"));
        Assert.Equal("state.redis", Scalar(components[Components.StateStore], "spec", "type"));
        Assert.StartsWith("secretstores.", Scalar(components[Components.SecretStore], "spec", "type"), StringComparison.Ordinal);
        Assert.Equal("true", MetadataOf(components[Components.StateStore])["actorStateStore"]);
        var pubsub = MetadataOf(components[Components.PubSub]);
        Assert.False(pubsub.ContainsKey("streamName"), "pubsub must find the stream by subject so one component serves every stream");
        Assert.StartsWith("nats://", pubsub["natsURL"], StringComparison.Ordinal);
        Assert.Equal("explicit", pubsub["ackPolicy"]);
    }

    [Fact]
    public void Every_resource_is_scoped_to_known_app_ids()
    {
        foreach (var resource in Resources())
        {
            var scopes = Sequence(resource, "scopes").Select(n => ((YamlScalarNode)n).Value!).ToList();
            var name = Scalar(resource, "metadata", "name");

            Assert.True(scopes.Count > 0, $"{name} has no scopes");
            Assert.Equal(scopes.Count, scopes.Distinct().Count());
            Assert.All(scopes, s => Assert.Contains(s, AppIds.All));
        }
    }

    [Fact]
    public void Resiliency_targets_existing_components_with_defined_policies()
    {
        var componentNames = ConstantsOf(typeof(Components)).ToHashSet();
        var resiliency = Assert.Single(Resources(), r => Kind(r) == "Resiliency");
        var policies = Mapping(resiliency, "spec", "policies");
        var targets = Mapping(resiliency, "spec", "targets", "components");

        Assert.NotEmpty(targets.Children);
        foreach (var (key, value) in targets.Children)
        {
            Assert.Contains(((YamlScalarNode)key).Value!, componentNames);
            foreach (var (_, direction) in ((YamlMappingNode)value).Children)
            {
                foreach (var (kind, policy) in ((YamlMappingNode)direction).Children)
                {
                    var section = ((YamlScalarNode)kind).Value switch
                    {
                        "timeout" => "timeouts",
                        "retry" => "retries",
                        "circuitBreaker" => "circuitBreakers",
                        var other => throw new Xunit.Sdk.XunitException($"Unknown policy kind {other}"),
                    };
                    var defined = (YamlMappingNode)policies.Children[new YamlScalarNode(section)];
                    Assert.True(defined.Children.ContainsKey(policy), $"{section} has no policy {policy}");
                }
            }
        }

        Assert.Contains(Components.PubSub, targets.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Contains(Components.StateStore, targets.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void Dapr_run_file_starts_every_app_once_from_its_own_project()
    {
        var run = Load(Path.Combine(Root, "dapr.yaml")).Single();
        Assert.Equal("1", Scalar(run, "version"));
        Assert.True(Directory.Exists(Path.Combine(Root, Scalar(run, "common", "resourcesPath"))));
        Assert.Equal("Dapr", ((YamlScalarNode)Mapping(run, "common", "env").Children[new YamlScalarNode("Hosting__Mode")]).Value);

        var apps = Sequence(run, "apps").Cast<YamlMappingNode>().ToList();
        var appIds = apps.Select(a => Scalar(a, "appID")).ToList();
        Assert.Equal(AppIds.All.Order(), appIds.Order());

        var constants = typeof(AppIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        foreach (var app in apps)
        {
            var appId = Scalar(app, "appID");
            var directory = Path.GetFullPath(Path.Combine(Root, Scalar(app, "appDirPath")));
            var command = Sequence(app, "command").Select(n => ((YamlScalarNode)n).Value!).ToList();
            Assert.Equal(["dotnet", "run", "--project"], command.Take(3));
            var project = Path.Combine(directory, command[3]);
            Assert.True(File.Exists(project), $"{appId}: {project} does not exist");

            // The module in that project must declare the same app id.
            var declared = Directory.EnumerateFiles(directory, "*.cs", SearchOption.TopDirectoryOnly)
                .Select(File.ReadAllText)
                .Select(text => AppIdDeclaration().Match(text))
                .Where(m => m.Success)
                .Select(m => constants[m.Groups[1].Value])
                .ToList();
            Assert.Equal([appId], declared);
        }

        var ports = apps.Select(a => Scalar(a, "appPort")).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    private static IEnumerable<YamlMappingNode> Resources() =>
        Directory.EnumerateFiles(ComponentsDirectory, "*.yaml").SelectMany(Load);

    private static IEnumerable<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        Assert.NotEmpty(stream.Documents);
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode));
    }

    private static string Kind(YamlMappingNode resource) => Scalar(resource, "kind");

    private static YamlMappingNode Mapping(YamlMappingNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = Assert.IsType<YamlMappingNode>(node.Children[new YamlScalarNode(key)]);
        }

        return node;
    }

    private static string Scalar(YamlMappingNode node, params string[] path)
    {
        var parent = Mapping(node, path[..^1]);
        return Assert.IsType<YamlScalarNode>(parent.Children[new YamlScalarNode(path[^1])]).Value!;
    }

    private static IList<YamlNode> Sequence(YamlMappingNode node, string key) =>
        Assert.IsType<YamlSequenceNode>(node.Children[new YamlScalarNode(key)]).Children;

    private static Dictionary<string, string> MetadataOf(YamlMappingNode component) =>
        Sequence(Mapping(component, "spec"), "metadata").Cast<YamlMappingNode>()
            .Where(m => m.Children.ContainsKey(new YamlScalarNode("value")))
            .ToDictionary(m => Scalar(m, "name"), m => Scalar(m, "value"));

    private static IEnumerable<string> ConstantsOf(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

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
}
