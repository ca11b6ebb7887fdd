using System.Text.RegularExpressions;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using YamlDotNet.RepresentationModel;
using static HoneyHive.Platform.Tests.Dapr.DaprYaml;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// What runs in distributed mode: the apps dapr.yaml starts and deploy/k8s deploys, their sidecar
/// annotations, and the stream provisioning that must precede every sidecar using pub/sub.
/// </summary>
public sealed partial class DaprDeploymentTests
{
    /// <summary>daprd's pod annotations in Dapr 1.16 (dapr pkg/injector/annotations/annotations.go), the ones we use.</summary>
    private static readonly HashSet<string> KnownAnnotations =
        ["dapr.io/enabled", "dapr.io/app-id", "dapr.io/app-port", "dapr.io/config", "dapr.io/max-body-size", "dapr.io/app-protocol",
            "dapr.io/app-token-secret"];

    /// <summary>
    /// Apps whose module registers something: a route, a gRPC service, a hosted service or a subscription.
    /// A module that is still a stub (Add* returns the builder untouched, Map* maps an empty group) is
    /// neither started nor deployed; once it gets code it must come back in dapr.yaml and deploy/k8s.
    /// </summary>
    public static List<string> AppsWithCode() =>
        ServiceDirectories().Where(kv => !IsStub(kv.Value)).Select(kv => kv.Key).Order().ToList();

    [Fact]
    public void The_stub_modules_are_the_ones_left_out()
    {
        // No stub is left (PythonMetric came back with issue 13, LlmProxy with issue 14, Evaluation with issue 15,
        // Notification with issue 18). This fails when a new app is added as a stub and not left out.
        var stubs = ServiceDirectories().Where(kv => IsStub(kv.Value)).Select(kv => kv.Key).Order();

        Assert.Empty(stubs);
        Assert.Equal(AppIds.All.Order(), ServiceDirectories().Keys.Order());
    }

    [Fact]
    public void Dapr_run_file_starts_every_app_with_code_once_from_its_own_project()
    {
        var run = RunFile();
        Assert.Equal("1", Scalar(run, "version"));
        Assert.False(Mapping(run, "common").Children.ContainsKey(new YamlScalarNode("resourcesPath")), "resourcesPath is deprecated; use resourcesPaths");
        var resourcesPaths = Sequence(Mapping(run, "common"), "resourcesPaths").Select(n => ((YamlScalarNode)n).Value!).ToList();
        Assert.Equal(["./components"], resourcesPaths);
        Assert.All(resourcesPaths, p => Assert.True(Directory.Exists(Path.Combine(Root, p))));
        Assert.Equal("Dapr", ((YamlScalarNode)Mapping(run, "common", "env").Children[new YamlScalarNode("Hosting__Mode")]).Value);

        var apps = RunFileApps();
        Assert.Equal(AppsWithCode(), apps.Select(a => Scalar(a, "appID")).Order());

        var services = ServiceDirectories();
        foreach (var app in apps)
        {
            var appId = Scalar(app, "appID");
            var directory = Path.GetFullPath(Path.Combine(Root, Scalar(app, "appDirPath")));
            Assert.Equal(Path.GetFullPath(services[appId]), directory);
            var command = Sequence(app, "command").Select(n => ((YamlScalarNode)n).Value!).ToList();
            Assert.Equal(["dotnet", "run", "--project"], command.Take(3));
            Assert.True(File.Exists(Path.Combine(directory, command[3])), $"{appId}: {command[3]} does not exist");
        }

        var ports = apps.Select(a => Scalar(a, "appPort")).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void Kubernetes_deploys_exactly_the_apps_with_code_each_with_its_sidecar_annotations()
    {
        var deployments = KubernetesDeployments();
        var configuration = Assert.Single(Resources(Kubernetes), r => Kind(r) == "Configuration");

        Assert.Equal(AppsWithCode(), deployments.Keys.Order());
        foreach (var (appId, deployment) in deployments)
        {
            var annotations = Annotations(deployment);
            Assert.Equal(appId, Scalar(deployment, "metadata", "name"));
            Assert.Equal("true", annotations["dapr.io/enabled"]);
            Assert.Equal(Scalar(configuration, "metadata", "name"), annotations["dapr.io/config"]);
            Assert.All(annotations.Keys.Where(k => k.StartsWith("dapr.io/", StringComparison.Ordinal)),
                k => Assert.True(KnownAnnotations.Contains(k), $"{appId}: unknown annotation {k}"));
            Assert.False(annotations.ContainsKey("dapr.io/http-max-request-size"), "deprecated in favour of dapr.io/max-body-size");
        }

        // Every app file in the folder is applied (an app left out of kustomization.yaml would rot unseen).
        var applied = KustomizeResources().ToHashSet();
        Assert.All(Directory.EnumerateFiles(Path.Combine(Root, "deploy", "k8s", "apps"), "*.yaml"),
            f => Assert.Contains(Path.GetFullPath(f), applied));
    }

    [Fact]
    public void Every_sidecar_has_resiliency_and_a_body_limit_above_the_largest_bulk_publish()
    {
        var bulk = new MessagingOptions().Dapr.MaxBulkPublishBytes;
        var limits = RunFileApps().ToDictionary(a => Scalar(a, "appID"), a => Scalar(a, "maxBodySize"));
        foreach (var (appId, deployment) in KubernetesDeployments())
        {
            Assert.Equal(limits[appId], Annotations(deployment)["dapr.io/max-body-size"]);
        }

        foreach (var (appId, limit) in limits)
        {
            // A quarter of margin over the data for protobuf framing, entry ids and metadata.
            Assert.True(Quantity(limit) * 3 / 4 >= bulk, $"{appId}: max-body-size {limit} leaves no margin over {bulk} bytes of bulk publish");
            // dp-python-metric runs user code and is scoped out of every component (DaprYamlTests); its
            // callers' policies cover calls to it.
            if (appId == AppIds.PythonMetric) continue;
            Assert.Contains(appId, Scopes(ResiliencyOf(Local)));
            Assert.Contains(appId, Scopes(ResiliencyOf(Kubernetes)));
        }
    }

    [Fact]
    public void The_python_metric_pod_runs_user_code_without_root_credentials_a_writable_image_or_open_network()
    {
        var deployment = KubernetesDeployments()[AppIds.PythonMetric];
        var pod = Mapping(deployment, "spec", "template", "spec");
        var container = Assert.Single(Sequence(pod, "containers").Cast<YamlMappingNode>());

        Assert.Equal("false", Scalar(pod, "automountServiceAccountToken"));
        Assert.Equal("true", Scalar(pod, "securityContext", "runAsNonRoot"));
        Assert.Equal("true", Scalar(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Scalar(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal(new[] { "ALL" }, Sequence(Mapping(container, "securityContext", "capabilities"), "drop").Select(n => ((YamlScalarNode)n).Value));
        Assert.Contains(Sequence(container, "volumeMounts").Cast<YamlMappingNode>(), m => Scalar(m, "mountPath") == "/tmp");
        // The app refuses every call without its token: daprd must be given one, and the app the same one.
        var secret = Annotations(deployment)["dapr.io/app-token-secret"];
        var token = Assert.Single(Sequence(container, "env").Cast<YamlMappingNode>(), e => Scalar(e, "name") == "APP_API_TOKEN");
        Assert.Equal(secret, Scalar(token, "valueFrom", "secretKeyRef", "name"));

        var policy = Assert.Single(KustomizeResources().SelectMany(Load), r => Kind(r) == "NetworkPolicy" && Scalar(r, "metadata", "name") == AppIds.PythonMetric);
        Assert.Equal(new[] { "Ingress", "Egress" }, Sequence(Mapping(policy, "spec"), "policyTypes").Select(n => ((YamlScalarNode)n).Value));
        var callers = Sequence(Mapping(policy, "spec"), "ingress").Cast<YamlMappingNode>()
            .SelectMany(rule => Sequence(rule, "from").Cast<YamlMappingNode>())
            .SelectMany(from => Sequence(Mapping(from, "podSelector"), "matchExpressions").Cast<YamlMappingNode>())
            .SelectMany(e => Sequence(e, "values").Select(v => ((YamlScalarNode)v).Value))
            .Order();
        Assert.Equal(new[] { AppIds.DataPlaneApi, AppIds.Evaluation }.Order(), callers);
    }

    [Fact]
    public void Every_app_that_opens_the_object_store_gets_the_master_key_that_wraps_its_data_keys()
    {
        var writers = AppsWhoseCodeMentions("AddObjectStore");
        Assert.Contains(AppIds.Writer, writers);
        var deployments = KubernetesDeployments();
        foreach (var appId in writers)
        {
            var container = Assert.Single(Sequence(Mapping(deployments[appId], "spec", "template", "spec"), "containers").Cast<YamlMappingNode>(),
                c => Scalar(c, "name") == appId);
            var wholeSecret = OptionalSequence(container, "envFrom").Cast<YamlMappingNode>()
                .Any(from => from.Children.ContainsKey(new YamlScalarNode("secretRef")) && Scalar(from, "secretRef", "name") == "honeyhive-dp");
            var oneKey = OptionalSequence(container, "env").Cast<YamlMappingNode>()
                .Any(e => Scalar(e, "name") == "Secrets__MasterKey" && Scalar(e, "valueFrom", "secretKeyRef", "name") == "honeyhive-dp"
                          && Scalar(e, "valueFrom", "secretKeyRef", "key") == "Secrets__MasterKey");
            Assert.True(wholeSecret || oneKey, $"{appId} opens the object store but is given no Secrets__MasterKey: it would write objects unencrypted.");
        }
    }

    private static IEnumerable<YamlNode> OptionalSequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (YamlSequenceNode)value : [];

    [Fact]
    public void Streams_are_provisioned_by_the_single_node_code_before_every_sidecar_that_uses_pubsub()
    {
        var users = PubSubUsers();
        Assert.NotEmpty(users);
        var natsUrl = MetadataOf(ComponentsOf(Kubernetes)[Components.PubSub])["natsURL"];
        var deployments = KubernetesDeployments();
        var ingestionImage = ContainerImage(deployments[AppIds.Ingestion], "containers", AppIds.Ingestion);

        foreach (var appId in users)
        {
            var spec = Mapping(deployments[appId], "spec", "template", "spec");
            var init = Assert.Single(Sequence(spec, "initContainers").Cast<YamlMappingNode>(),
                c => Sequence(c, "args").Select(a => ((YamlScalarNode)a).Value).FirstOrDefault() == ProvisionStreamsCommand.Name);
            // The command lives in Ingestion's Program (the image every pub/sub pod can pull).
            Assert.Equal(ingestionImage, Scalar(init, "image"));
            var env = Sequence(init, "env").Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"), e => Scalar(e, "value"));
            Assert.Equal(natsUrl, env["ConnectionStrings__nats"]);
            // Stream settings come from Messaging:* with the single-node defaults: nothing overrides them here.
            Assert.DoesNotContain(env.Keys, k => k.StartsWith("Messaging__", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(File.ReadAllText(Path.Combine(Root, "deploy", "k8s", "kustomization.yaml")), "Messaging__", StringComparison.Ordinal);
        Assert.Matches(ProvisionCommandLine(), File.ReadAllText(Path.Combine(ServiceDirectories()[AppIds.Ingestion], "Program.cs")));

        // dapr run: every app that uses pub/sub is given the NATS address, so it provisions the streams at
        // start (a subscriber listens only once they exist), on the component's server; no other app is.
        var localUrl = MetadataOf(ComponentsOf(Local)[Components.PubSub])["natsURL"];
        var provisioners = RunFileApps().Where(a => Mapping(a, "env").Children.ContainsKey(new YamlScalarNode("ConnectionStrings__nats"))).ToList();
        Assert.Equal(users, provisioners.Select(a => Scalar(a, "appID")).Order());
        Assert.All(provisioners, a => Assert.Equal(localUrl, Scalar(a, "env", "ConnectionStrings__nats")));
    }

    private static string ContainerImage(YamlMappingNode deployment, string list, string name) =>
        Scalar(Sequence(Mapping(deployment, "spec", "template", "spec"), list).Cast<YamlMappingNode>().Single(c => Scalar(c, "name") == name), "image");

    private static bool IsStub(string directory)
    {
        var sources = SourcesOf(directory).ToList();
        if (sources.Count > 2) return false; // Program.cs and the module: anything more is code
        var module = string.Concat(sources.Where(f => !f.EndsWith("Program.cs", StringComparison.Ordinal)).Select(File.ReadAllText));
        return !Registration().IsMatch(module);
    }

    [GeneratedRegex(@"\.(Map(Get|Post|Put|Patch|Delete|Methods|GrpcService|Hub)|AddHostedService|AddBatchSubscription|AddSingleton|AddScoped|AddTransient|TryAdd\w*)\b")]
    private static partial Regex Registration();

    [GeneratedRegex(@"args is \[ProvisionStreamsCommand\.Name, \.\.\]\) return await ProvisionStreamsCommand\.RunAsync")]
    private static partial Regex ProvisionCommandLine();
}
