using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.Alerts;

/// <summary>One alert webhook the receiver got, with whether its HMAC signature verified.</summary>
public sealed record SunkWebhook(JsonNode Body, string DeliveryId, bool SignatureValid)
{
    public string? AlertId => Find(Body, "alert_id");

    public string? Stage => Find(Body, "stage");

    /// <summary>The first string property named <paramref name="name"/>, depth first (the payload nests the alert under data).</summary>
    public static string? Find(JsonNode? node, string name) => node switch
    {
        JsonObject obj when obj[name] is JsonValue value && value.TryGetValue<string>(out var text) => text,
        JsonObject obj => obj.Select(p => Find(p.Value, name)).FirstOrDefault(f => f is not null),
        JsonArray array => array.Select(c => Find(c, name)).FirstOrDefault(f => f is not null),
        _ => null,
    };
}

/// <summary>
/// A customer's webhook endpoint on loopback (the shared <see cref="HttpReceiver"/>), read as alert notifications: each
/// POST's body and whether its <c>X-HoneyHive-Signature</c> (<c>t=…,v1=hex(HMAC-SHA256(secret, "t.body"))</c>) holds.
/// Down means the port stops listening (connections refused) until it is up again on the same port.
/// </summary>
public sealed class WebhookSink(string secret) : IAsyncDisposable
{
    private readonly HttpReceiver receiver = new();
    private readonly byte[] key = Encoding.UTF8.GetBytes(secret);

    public Uri Url => new(receiver.Url("/hook"));

    public static async Task<WebhookSink> StartAsync(string secret)
    {
        var sink = new WebhookSink(secret);
        await sink.UpAsync();
        return sink;
    }

    public Task UpAsync() => receiver.StartListeningAsync();

    public Task DownAsync() => receiver.StopAsync();

    public IReadOnlyList<SunkWebhook> For(string alertId, string? stage = null) =>
        [.. receiver.On("/hook").Select(Read).Where(w => w.AlertId == alertId && (stage is null || w.Stage == stage))];

    private SunkWebhook Read(ReceivedRequest request) => new(
        JsonNode.Parse(request.Body) ?? new JsonObject(),
        request.Headers.GetValueOrDefault("X-HoneyHive-Delivery", ""),
        SignatureHolds(request.Headers.GetValueOrDefault("X-HoneyHive-Signature", ""), request.Body));

    private bool SignatureHolds(string header, byte[] raw)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)) return false;
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes(t + "."), .. raw]));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    public ValueTask DisposeAsync() => receiver.DisposeAsync();
}
