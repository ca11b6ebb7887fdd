using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Bench.Alerts;

/// <summary>One webhook that reached the receiver: when, what it said, and whether its signature held.</summary>
public sealed record ReceivedWebhook(DateTimeOffset ArrivedAt, JsonNode? Body, string? DeliveryId, bool SignatureValid);

/// <summary>
/// A webhook receiver on loopback, as a customer's endpoint would be: records each POST's arrival time and body, checks
/// the <c>X-HoneyHive-Signature</c> (<c>t=…,v1=hex(HMAC-SHA256(secret, "t.body"))</c>) and answers 200 at once.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly byte[] secret;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public Uri Url { get; }

    private WebhookReceiver(WebApplication app, byte[] secret, Uri url)
    {
        this.app = app;
        this.secret = secret;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync(string secret, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = default(WebhookReceiver);
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            var arrived = DateTimeOffset.UtcNow;
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var raw = buffer.ToArray();
            JsonNode? body = null;
            try
            {
                body = JsonNode.Parse(raw);
            }
            catch (System.Text.Json.JsonException)
            {
                // Recorded with a null body: the bench counts it as not a notification.
            }
            receiver!.Received.Enqueue(new ReceivedWebhook(arrived, body, request.Headers["X-HoneyHive-Delivery"].ToString(),
                receiver.SignatureHolds(request.Headers["X-HoneyHive-Signature"].ToString(), raw)));
            return Results.Ok();
        });
        await app.StartAsync(ct);
        var address = app.Urls.First();
        receiver = new WebhookReceiver(app, Encoding.UTF8.GetBytes(secret), new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        return receiver;
    }

    private bool SignatureHolds(string header, byte[] raw)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)) return false;
        var signed = Encoding.UTF8.GetBytes(t + ".").Concat(raw).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
