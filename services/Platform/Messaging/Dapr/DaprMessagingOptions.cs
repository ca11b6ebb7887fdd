namespace HoneyHive.Platform.Messaging.Dapr;

/// <summary>
/// Size bounds of Dapr-mode messaging (configuration section <c>Messaging:Dapr</c>). daprd refuses a
/// gRPC request above its <c>--max-body-size</c> (4 MiB unless dapr.yaml's <c>maxBodySize</c> or the
/// <c>dapr.io/max-body-size</c> annotation say otherwise), and Kestrel refuses a delivery above the
/// endpoint's body limit; neither of Dapr's bulk APIs bounds bytes, so these do.
/// </summary>
public sealed class DaprMessagingOptions
{
    /// <summary>daprd's default <c>--max-body-size</c> (Dapr 1.16, cmd/daprd/options).</summary>
    public const long SidecarDefaultMaxBodySize = 4L << 20;

    /// <summary>
    /// Bytes of message data in one bulk publish call; a batch above it goes out in several calls.
    /// Three quarters of daprd's default limit: the rest covers protobuf framing, entry ids and metadata.
    /// </summary>
    public int MaxBulkPublishBytes { get; set; } = 3 << 20;

    /// <summary>Largest message the log stores: NATS's default <c>max_payload</c> (1 MiB).</summary>
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>Largest bulk delivery request the subscription endpoints accept (the Kestrel body limit they set).</summary>
    public long MaxBulkDeliveryBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Bytes one entry can take in a bulk delivery: a raw payload arrives base64-encoded (4/3 of its
    /// size), a CloudEvent as JSON with daprd's attributes added; 16 KiB covers those attributes.
    /// </summary>
    public long MaxDeliveryEntryBytes => (long)MaxMessageBytes * 4 / 3 + (16 << 10);

    /// <summary>The bulk subscribe <c>maxMessagesCount</c> for a subscription that takes up to <paramref name="maxBatchSize"/>.</summary>
    public int MaxMessagesPerBulkDelivery(int maxBatchSize) =>
        (int)Math.Clamp(MaxBulkDeliveryBytes / MaxDeliveryEntryBytes, 1, Math.Max(1, maxBatchSize));
}
