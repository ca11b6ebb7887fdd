using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.ControlPlane.Tests.Tls;

/// <summary>
/// With <c>Tls:*</c> set, AddServiceDefaults serves every Kestrel endpoint over TLS only and the controllers' stream
/// endpoint with mutual TLS: a real Kestrel on loopback, certificates made in the test, clients as the platform's own.
/// </summary>
[Trait("Servers", "None")]
public sealed class TlsListenerTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create("hh-test-ca");
    private readonly TestCertificateAuthority otherCa = TestCertificateAuthority.Create("someone-else");
    private readonly int apiPort = FreePort();
    private readonly int streamPort = FreePort();
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        var (certificate, key) = ca.IssueServer();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:DataPlaneApi:Url"] = $"http://127.0.0.1:{apiPort}",
            ["Kestrel:Endpoints:ControllerGrpc:Url"] = $"http://127.0.0.1:{streamPort}",
            ["Kestrel:Endpoints:ControllerGrpc:Protocols"] = "Http2",
            ["Tls:CertificatePath"] = certificate,
            ["Tls:KeyPath"] = key,
            ["Tls:ClientCaPath"] = ca.CaPath,
        });
        builder.AddServiceDefaults();
        app = builder.Build();
        app.MapGet("/ping", () => "pong");
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        ca.Dispose();
        otherCa.Dispose();
    }

    [Fact]
    public async Task An_endpoint_configured_as_http_answers_only_over_tls()
    {
        using var plain = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync($"http://127.0.0.1:{apiPort}/ping"));

        using var trusting = new HttpClient(Handler(("Tls:CaPath", ca.CaPath)));
        Assert.Equal("pong", await trusting.GetStringAsync($"https://127.0.0.1:{apiPort}/ping"));
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_ca_refuses_the_server()
    {
        using var client = new HttpClient(Handler(("Tls:CaPath", otherCa.CaPath)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync($"https://127.0.0.1:{apiPort}/ping"));
    }

    [Fact]
    public async Task The_stream_endpoint_admits_a_data_plane_with_a_client_certificate_from_the_ca()
    {
        var (certificate, key) = ca.IssueClient("dp-local");
        using var client = StreamClient(Handler(("Tls:CaPath", ca.CaPath), ("Tls:ClientCertificatePath", certificate), ("Tls:ClientKeyPath", key)));
        Assert.Equal("pong", await client.GetStringAsync($"https://127.0.0.1:{streamPort}/ping"));
    }

    [Fact]
    public async Task The_stream_endpoint_refuses_a_data_plane_without_a_client_certificate()
    {
        using var client = StreamClient(Handler(("Tls:CaPath", ca.CaPath)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync($"https://127.0.0.1:{streamPort}/ping"));
    }

    [Fact]
    public async Task The_stream_endpoint_refuses_a_client_certificate_from_another_ca()
    {
        var (certificate, key) = otherCa.IssueClient("intruder");
        using var client = StreamClient(Handler(("Tls:CaPath", ca.CaPath), ("Tls:ClientCertificatePath", certificate), ("Tls:ClientKeyPath", key)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync($"https://127.0.0.1:{streamPort}/ping"));
    }

    [Fact]
    public async Task Other_endpoints_do_not_ask_for_a_client_certificate()
    {
        using var client = new HttpClient(Handler(("Tls:CaPath", ca.CaPath)));
        Assert.Equal("pong", await client.GetStringAsync($"https://127.0.0.1:{apiPort}/ping"));
    }

    /// <summary>The handler the DP controller's channel is built with, from the same settings it reads.</summary>
    private static SocketsHttpHandler Handler(params (string Key, string Value)[] settings) =>
        TlsExtensions.ControllerStreamHandler(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    private static HttpClient StreamClient(SocketsHttpHandler handler) => new(handler)
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
