namespace HoneyHive.Platform;

/// <summary>Which adapters back the mode seam (configuration key <c>Hosting:Mode</c>).</summary>
public enum HostingMode
{
    /// <summary>Single node: NATS JetStream, Redis, chDB or a ClickHouse server, filesystem or S3.</summary>
    Local,

    /// <summary>Distributed: Dapr sidecar pub/sub and state, a ClickHouse server, S3.</summary>
    Dapr,
}
