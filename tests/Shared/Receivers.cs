using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace HoneyHive.Tests.Shared;

/// <summary>A free TCP port on an address of the loopback, for a receiver that is started later (a receiver that is down first).</summary>
public static class Ports
{
    public static int Free(string address = "127.0.0.1")
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One request an HTTP receiver got.</summary>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A local HTTP receiver (Kestrel) standing for Slack and webhook endpoints: records every request; <c>/status/{code}</c>
/// answers that code, <c>/redirect?to=</c> redirects (the SSRF cases), anything else 200. It can be created before it
/// listens (its port reserved) and stopped, so a test can have a receiver that is down for a while.
/// </summary>
public sealed class HttpReceiver : IAsyncDisposable
{
    private WebApplication? app;

    public HttpReceiver(string address = "127.0.0.1")
    {
        Address = address;
        Port = Ports.Free(address);
    }

    public string Address { get; }
    public int Port { get; }
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Answer every request with this status instead (a receiver that is up but failing).</summary>
    public int? FailWith { get; set; }

    public string Url(string path) => $"http://{(Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]" : Address)}:{Port}{path}";

    public IReadOnlyList<ReceivedRequest> On(string path) => [.. Requests.Where(r => r.Path == path)];

    public static async Task<HttpReceiver> StartAsync(string address = "127.0.0.1")
    {
        var receiver = new HttpReceiver(address);
        await receiver.StartListeningAsync();
        return receiver;
    }

    public async Task StartListeningAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse(Address), Port));
        app = builder.Build();
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Requests.Enqueue(new ReceivedRequest(context.Request.Path.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            if (FailWith is { } failure)
            {
                context.Response.StatusCode = failure;
                return;
            }
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/status/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = int.Parse(path["/status/".Length..], System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
            if (path == "/redirect")
            {
                context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                context.Response.Headers.Location = context.Request.Query["to"].ToString();
                return;
            }
            await context.Response.WriteAsync("ok");
        });
        await app.StartAsync();
    }

    public async Task StopAsync()
    {
        if (app is null) return;
        await app.StopAsync();
        await app.DisposeAsync();
        app = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>One mail the SMTP recorder accepted.</summary>
public sealed record ReceivedMail(string[] Recipients, MimeMessage Message)
{
    public string Subject => Message.Subject ?? "";
    public string Text => Message.TextBody ?? "";
    public string Html => Message.HtmlBody ?? "";
}

/// <summary>An in-process SMTP server (the SmtpServer package) on the loopback that records every mail it accepts.</summary>
public sealed class SmtpRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private Task? running;

    public int Port { get; } = Ports.Free();
    public ConcurrentQueue<ReceivedMail> Mails { get; } = new();

    public IReadOnlyList<ReceivedMail> To(string address) =>
        [.. Mails.Where(m => m.Recipients.Contains(address, StringComparer.OrdinalIgnoreCase))];

    public static async Task<SmtpRecorder> StartAsync()
    {
        var recorder = new SmtpRecorder();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, recorder.Port)))
            .Build();
        var services = new ServiceProvider();
        services.Add(new Store(recorder));
        var server = new SmtpServer.SmtpServer(options, services);
        recorder.running = server.StartAsync(recorder.stop.Token);
        // Listening once a client can connect.
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, recorder.Port);
                return recorder;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException("The SMTP recorder did not start listening.");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (running is not null)
        {
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
            }
        }
        stop.Dispose();
    }

    private sealed class Store(SmtpRecorder recorder) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            recorder.Mails.Enqueue(new ReceivedMail([.. transaction.To.Select(m => $"{m.User}@{m.Host}")], message));
            return SmtpResponse.Ok;
        }
    }
}
