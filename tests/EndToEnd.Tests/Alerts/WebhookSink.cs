using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HoneyHive.EndToEnd.Tests.Alerts;

/// <summary>One webhook that reached the sink, with whether its HMAC signature verified.</summary>
public sealed record SunkWebhook(DateTimeOffset ArrivedAt, JsonNode Body, string DeliveryId, bool SignatureValid)
{
    public string? AlertId => Find(Body, "alert_id");

    public string? Stage => Find(Body, "stage");

    /// <summary>The first string property named <paramref name="name"/>, depth first (the payload may nest the alert).</summary>
    public static string? Find(JsonNode? node, string name) => node switch
    {
        JsonObject obj when obj[name] is JsonValue value && value.TryGetValue<string>(out var text) => text,
        JsonObject obj => obj.Select(p => Find(p.Value, name)).FirstOrDefault(f => f is not null),
        JsonArray array => array.Select(c => Find(c, name)).FirstOrDefault(f => f is not null),
        _ => null,
    };
}

/// <summary>
/// A customer's webhook endpoint on loopback, run by the tests: records every POST and checks its
/// <c>X-HoneyHive-Signature</c> (<c>t=…,v1=hex(HMAC-SHA256(secret, "t.body"))</c>). It can be taken down (the port
/// stops listening: connections are refused) and brought back on the same port, as a real receiver's outage.
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private readonly byte[] secret;
    private WebApplication? app;

    public ConcurrentQueue<SunkWebhook> Received { get; } = new();

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    private WebhookSink(string secret) => this.secret = Encoding.UTF8.GetBytes(secret);

    public static async Task<WebhookSink> StartAsync(string secret)
    {
        var sink = new WebhookSink(secret);
        await sink.UpAsync();
        return sink;
    }

    /// <summary>Listens (again) on the sink's port, or on a fresh one the first time.</summary>
    public async Task UpAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        var started = builder.Build();
        started.MapPost("/{**path}", async (HttpRequest request) =>
        {
            var arrived = DateTimeOffset.UtcNow;
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var raw = buffer.ToArray();
            Received.Enqueue(new SunkWebhook(arrived, JsonNode.Parse(raw) ?? new JsonObject(), request.Headers["X-HoneyHive-Delivery"].ToString(),
                SignatureHolds(request.Headers["X-HoneyHive-Signature"].ToString(), raw)));
            return Results.Ok();
        });
        await started.StartAsync();
        Port = new Uri(started.Urls.First()).Port;
        app = started;
    }

    /// <summary>Stops listening: every connection is refused until <see cref="UpAsync"/>.</summary>
    public async Task DownAsync()
    {
        if (app is null) return;
        await app.StopAsync();
        await app.DisposeAsync();
        app = null;
    }

    public IReadOnlyList<SunkWebhook> For(string alertId, string? stage = null) =>
        [.. Received.Where(r => r.AlertId == alertId && (stage is null || r.Stage == stage))];

    private bool SignatureHolds(string header, byte[] raw)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)) return false;
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(secret, (byte[])[.. Encoding.UTF8.GetBytes(t + "."), .. raw]));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    public async ValueTask DisposeAsync() => await DownAsync();
}
