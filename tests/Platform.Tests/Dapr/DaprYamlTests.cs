using System.Reflection;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using YamlDotNet.RepresentationModel;
using static HoneyHive.Platform.Tests.Dapr.DaprYaml;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// daprd cannot run here, so the Dapr resources of both modes (components/ for dapr run,
/// deploy/k8s/components/ for Kubernetes) are checked against the code's names, against the metadata
/// keys each component type accepts, and against each other.
/// </summary>
[Trait("Servers", "None")]
public sealed class DaprYamlTests
{
    /// <summary>
    /// Metadata keys each component type accepts in Dapr 1.16/1.17 (components-contrib v1.16.13 and
    /// v1.17.8 agree for these types): pubsub/jetstream/metadata.go (mapstructure tags),
    /// state/redis/metadata.yaml plus the keys daprd itself reads from a state component
    /// (actorStateStore: the component's capability; keyPrefix: dapr pkg/components/state/state_config.go),
    /// secretstores/local/env/metadata.yaml, secretstores/kubernetes (no metadata).
    /// A key outside these is silently ignored by daprd, so a typo would change nothing but the meaning.
    /// </summary>
    private static readonly Dictionary<string, HashSet<string>> AcceptedKeys = new()
    {
        ["pubsub.jetstream"] =
        [
            "natsURL", "jwt", "seedKey", "token", "tls_client_cert", "tls_client_key", "name", "streamName",
            "durableName", "queueGroupName", "startSequence", "startTime", "flowControl", "ackWait", "maxDeliver",
            "backOff", "maxAckPending", "replicas", "memoryStorage", "rateLimit", "heartbeat", "deliverPolicy",
            "ackPolicy", "domain", "apiPrefix", "concurrency",
        ],
        ["state.redis"] =
        [
            "redisHost", "redisUsername", "redisPassword", "sentinelUsername", "sentinelPassword", "enableTLS",
            "clientCert", "clientKey", "failover", "sentinelMasterName", "redeliverInterval", "processingTimeout",
            "redisType", "redisDB", "redisMaxRetries", "redisMinRetryInterval", "redisMaxRetryInterval",
            "dialTimeout", "readTimeout", "writeTimeout", "poolSize", "poolTimeout", "maxConnAge", "minIdleConns",
            "idleCheckFrequency", "idleTimeout", "ttlInSeconds", "queryIndexes", "useEntraID",
            "actorStateStore", "keyPrefix",
        ],
        ["secretstores.local.env"] = ["prefix"],
        ["secretstores.kubernetes"] = [],
    };

    /// <summary>Metadata that names where a server is or how to log in to it, the only settings the modes may differ in.</summary>
    private static readonly HashSet<string> PerEnvironmentKeys = ["natsURL", "redisHost", "redisPassword"];

    public static TheoryData<string> Modes => new() { Local, Kubernetes };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Components_are_exactly_the_names_in_Contracts(string mode)
    {
        Assert.Equal(ConstantsOf(typeof(Components)).Order(), ComponentsOf(mode).Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Components_have_the_types_the_architecture_names(string mode)
    {
        var components = ComponentsOf(mode);

        Assert.Equal("pubsub.jetstream", Scalar(components[Components.PubSub], "spec", "type"));
        Assert.Equal("state.redis", Scalar(components[Components.StateStore], "spec", "type"));
        Assert.Equal("state.redis", Scalar(components[Components.StateStoreConditional], "spec", "type"));
        Assert.StartsWith("secretstores.", Scalar(components[Components.SecretStore], "spec", "type"), StringComparison.Ordinal);
        Assert.Equal("true", MetadataOf(components[Components.StateStore])["actorStateStore"]);
        Assert.False(MetadataOf(components[Components.StateStoreConditional]).ContainsKey("actorStateStore"), "only one actor state store is allowed");
        var pubsub = MetadataOf(components[Components.PubSub]);
        Assert.False(pubsub.ContainsKey("streamName"), "pubsub must find the stream by subject so one component serves every stream");
        Assert.StartsWith("nats://", pubsub["natsURL"], StringComparison.Ordinal);
        Assert.Equal("explicit", pubsub["ackPolicy"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Every_metadata_key_is_one_its_component_type_accepts_in_Dapr_1_16(string mode)
    {
        foreach (var (name, component) in ComponentsOf(mode))
        {
            var type = Scalar(component, "spec", "type");
            Assert.True(AcceptedKeys.ContainsKey(type), $"{name}: no accepted keys recorded for {type}");
            Assert.All(MetadataOf(component).Keys, key => Assert.True(AcceptedKeys[type].Contains(key), $"{mode} {name}: {type} has no metadata key '{key}'"));
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Every_resource_is_scoped_to_known_app_ids_and_never_to_the_python_metric_app(string mode)
    {
        foreach (var resource in Resources(mode).Where(r => Kind(r) is "Component" or "Resiliency"))
        {
            var scopes = Scopes(resource);
            var name = Scalar(resource, "metadata", "name");

            // An unscoped resource is loaded by every sidecar, the user-code sandbox's included.
            Assert.True(scopes.Count > 0, $"{mode} {name} has no scopes");
            Assert.Equal(scopes.Count, scopes.Distinct().Count());
            Assert.All(scopes, s => Assert.Contains(s, AppIds.All));
            Assert.DoesNotContain(AppIds.PythonMetric, scopes);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Pubsub_and_state_are_scoped_to_exactly_the_apps_whose_code_uses_them(string mode)
    {
        var components = ComponentsOf(mode);
        Assert.Equal(PubSubUsers(), Scopes(components[Components.PubSub]).Order());
        var stateUsers = AppsWhoseCodeMentions("IStateStore");
        // daprd's workflow engine keeps its actors' state in the component marked actorStateStore.
        var workflowUsers = AppsWhoseCodeMentions("AddWorkflowEngine");
        Assert.Equal(stateUsers.Union(workflowUsers).Order(), Scopes(components[Components.StateStore]).Order());
        Assert.Equal("true", MetadataOf(components[Components.StateStore])["actorStateStore"]);
        Assert.Equal(stateUsers, Scopes(components[Components.StateStoreConditional]).Order());
    }

    [Fact]
    public void Both_modes_configure_every_component_alike_but_for_server_addresses_and_credentials()
    {
        var local = ComponentsOf(Local);
        var kubernetes = ComponentsOf(Kubernetes);

        foreach (var name in local.Keys)
        {
            Assert.Equal(Scopes(local[name]).Order(), Scopes(kubernetes[name]).Order());
            if (name == Components.SecretStore) continue; // environment variables locally, Kubernetes secrets there
            Assert.Equal(Scalar(local[name], "spec", "type"), Scalar(kubernetes[name], "spec", "type"));
            var localMetadata = MetadataOf(local[name]).Where(kv => !PerEnvironmentKeys.Contains(kv.Key)).OrderBy(kv => kv.Key);
            var kubernetesMetadata = MetadataOf(kubernetes[name]).Where(kv => !PerEnvironmentKeys.Contains(kv.Key)).OrderBy(kv => kv.Key);
            Assert.Equal(localMetadata, kubernetesMetadata);
        }
    }

    [Fact]
    public void Both_state_components_use_one_literal_key_prefix_so_every_app_sees_the_same_keys()
    {
        foreach (var mode in new[] { Local, Kubernetes })
        {
            var components = ComponentsOf(mode);
            var prefix = MetadataOf(components[Components.StateStore])["keyPrefix"];
            Assert.Equal(prefix, MetadataOf(components[Components.StateStoreConditional])["keyPrefix"]);
            // appid (the default) and name would give the two components, or two apps, different keys.
            Assert.DoesNotContain(prefix.ToLowerInvariant(), new[] { "appid", "name", "namespace", "none" });
            Assert.Equal(MetadataOf(components[Components.StateStore])["redisHost"], MetadataOf(components[Components.StateStoreConditional])["redisHost"]);
        }
    }

    [Fact]
    public void Kubernetes_ships_the_same_resiliency_policies_as_dapr_run()
    {
        var local = ResiliencyOf(Local);
        var kubernetes = ResiliencyOf(Kubernetes);

        Assert.Equal(Scalar(local, "metadata", "name"), Scalar(kubernetes, "metadata", "name"));
        Assert.Equal(Flatten(Mapping(local, "spec")), Flatten(Mapping(kubernetes, "spec")));
        Assert.Equal(Scopes(local).Order(), Scopes(kubernetes).Order());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Resiliency_targets_existing_components_with_defined_policies(string mode)
    {
        var componentNames = ConstantsOf(typeof(Components)).ToHashSet();
        var resiliency = ResiliencyOf(mode);
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

    [Theory]
    [MemberData(nameof(Modes))]
    public void Conditional_state_writes_have_retries_and_a_timeout_but_no_circuit_breaker(string mode)
    {
        // daprd (1.16 pkg/resiliency/policy.go) runs the state call inside the breaker and gobreaker counts
        // every error, an ETag mismatch (Aborted) included, so expected conflicts need a target without one.
        var targets = Mapping(ResiliencyOf(mode), "spec", "targets", "components");

        var plain = Mapping(targets, Components.StateStore, "outbound");
        var conditional = Mapping(targets, Components.StateStoreConditional, "outbound");
        Assert.True(plain.Children.ContainsKey(new YamlScalarNode("circuitBreaker")), "plain state calls keep their breaker");
        Assert.False(conditional.Children.ContainsKey(new YamlScalarNode("circuitBreaker")), "conditional writes must not feed a breaker");
        Assert.Equal(Scalar(plain, "timeout"), Scalar(conditional, "timeout"));
        Assert.Equal(Scalar(plain, "retry"), Scalar(conditional, "retry"));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AckWait_outlasts_one_delivery_with_all_its_retries_and_in_flight_messages_are_bounded(string mode)
    {
        var resiliency = ResiliencyOf(mode);
        var inbound = Mapping(resiliency, "spec", "targets", "components", Components.PubSub, "inbound");
        var timeout = GoDuration(Scalar(resiliency, "spec", "policies", "timeouts", Scalar(inbound, "timeout")));
        var retry = Mapping(resiliency, "spec", "policies", "retries", Scalar(inbound, "retry"));
        Assert.Equal("exponential", Scalar(retry, "policy"));
        var retries = int.Parse(Scalar(retry, "maxRetries"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retries, 1, 10);

        // Every attempt may run to its timeout; every backoff may reach maxInterval times 1 + randomization
        // (Dapr 1.16 default 0.5, pkg/resiliency/resiliency.go); daprd's bulk subscriber holds a message up to
        // maxAwaitDurationMs (default 1 s) before the first attempt.
        var budget = (retries + 1) * timeout + retries * GoDuration(Scalar(retry, "maxInterval")) * 1.5 + TimeSpan.FromSeconds(1);
        var pubsub = MetadataOf(ComponentsOf(mode)[Components.PubSub]);
        Assert.True(GoDuration(pubsub["ackWait"]) > budget, $"{mode}: ackWait {pubsub["ackWait"]} is not longer than one delivery with its retries ({budget})");
        Assert.InRange(int.Parse(pubsub["maxAckPending"], System.Globalization.CultureInfo.InvariantCulture), 1, 100_000);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_publish_with_its_retries_ends_inside_the_publishers_timeout(string mode)
    {
        var resiliency = ResiliencyOf(mode);
        var outbound = Mapping(resiliency, "spec", "targets", "components", Components.PubSub, "outbound");
        var timeout = GoDuration(Scalar(resiliency, "spec", "policies", "timeouts", Scalar(outbound, "timeout")));
        var retry = Mapping(resiliency, "spec", "policies", "retries", Scalar(outbound, "retry"));
        var retries = int.Parse(Scalar(retry, "maxRetries"), System.Globalization.CultureInfo.InvariantCulture);

        var budget = (retries + 1) * timeout + retries * GoDuration(Scalar(retry, "maxInterval")) * 1.5;
        Assert.True(budget <= new MessagingOptions().PublishTimeout, $"{mode}: a publish may take {budget} in daprd");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Dapr_durable_consumers_are_named_apart_from_the_single_node_consumers(string mode)
    {
        var pubsub = MetadataOf(ComponentsOf(mode)[Components.PubSub]);
        var durable = pubsub["durableName"];

        // Per app, so replicas share one consumer; single-node consumers carry the app ids' names (cp-writer).
        Assert.Contains("{appID}", durable, StringComparison.Ordinal);
        foreach (var app in AppIds.All)
        {
            Assert.DoesNotContain(durable.Replace("{appID}", app, StringComparison.Ordinal), AppIds.All);
        }

        Assert.Equal(durable, pubsub["queueGroupName"]);
    }

    private static List<string> Flatten(YamlNode node, string path = "")
    {
        return node switch
        {
            YamlScalarNode scalar => [$"{path}={scalar.Value}"],
            YamlMappingNode mapping => mapping.Children.SelectMany(kv => Flatten(kv.Value, $"{path}/{((YamlScalarNode)kv.Key).Value}")).Order().ToList(),
            YamlSequenceNode sequence => sequence.Children.SelectMany((child, i) => Flatten(child, $"{path}[{i}]")).ToList(),
            _ => [],
        };
    }

    private static IEnumerable<string> ConstantsOf(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
}
