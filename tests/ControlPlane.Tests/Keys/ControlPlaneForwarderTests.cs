using System.Net;
using System.Net.Sockets;
using System.Text;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests.Keys;

/// <summary>The data plane's forwarding of the legacy project routes when the control plane is away or the body is too big.</summary>
[Trait("Servers", "None")]
public sealed class ControlPlaneForwarderTests
{
    [Fact]
    public async Task An_unreachable_control_plane_is_a_503_with_retry_after_not_a_500()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ClosedPort()}"), Timeout = TimeSpan.FromSeconds(5) };
        var forwarder = new ControlPlaneForwarder(http, NullLogger<ControlPlaneForwarder>.Instance);
        var context = Context("""{"name":"p"}""");

        var result = await forwarder.ForwardAsync(context, CancellationToken.None);
        await result.ExecuteAsync(context);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_before_anything_is_sent()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ClosedPort()}") };
        var forwarder = new ControlPlaneForwarder(http, NullLogger<ControlPlaneForwarder>.Instance);
        var context = Context("{\"name\":\"" + new string('x', ControlPlaneForwarder.MaxBodyBytes) + "\"}", announceLength: false);

        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => forwarder.ForwardAsync(context, CancellationToken.None));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, refused.Status);
        Assert.Equal("body", refused.Field);
    }

    private static DefaultHttpContext Context(string body, bool announceLength = true)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider() };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/projects";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(bytes);
        if (announceLength) context.Request.ContentLength = bytes.Length;
        context.Request.Headers.Authorization = "Bearer hh_test";
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
