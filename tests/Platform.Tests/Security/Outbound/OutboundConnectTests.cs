using System.Net;
using System.Text;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.Platform.Tests.Security.Outbound;

/// <summary>The guard on a real client against a real loopback server: connections and redirects.</summary>
public sealed class OutboundConnectTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_connection_to_a_refused_address_never_reaches_the_server()
    {
        await using var target = await RecordingServer.StartAsync(c => c.Response.WriteAsync("reached"));
        using var refusing = GuardFactory.Client(GuardFactory.Create());
        using var allowing = GuardFactory.Client(GuardFactory.Create("127.0.0.1"));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => refusing.GetAsync(target.Url("/secret"), Ct));
        Assert.IsType<OutboundAddressRefusedException>(error.InnerException);
        Assert.Empty(target.Requests);

        // The same request with the address allowlisted does arrive: the count above is not zero for another reason.
        Assert.Equal("reached", await allowing.GetStringAsync(target.Url("/secret"), Ct));
        Assert.Single(target.Requests);
    }

    [Fact]
    public async Task A_name_rebound_to_loopback_after_the_save_check_is_refused_at_connect()
    {
        await using var target = await RecordingServer.StartAsync(c => c.Response.WriteAsync("reached"));
        var resolver = new MappedResolver();
        var guard = GuardFactory.Create(resolver: resolver);
        resolver.Map("rebind.test", "93.184.215.14");
        await guard.CheckUrlAsync(new Uri($"http://rebind.test:{target.Port}/"), Ct); // public when saved
        resolver.Map("rebind.test", "127.0.0.1"); // the attacker's DNS answers differently later
        using var client = GuardFactory.Client(guard);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://rebind.test:{target.Port}/", Ct));

        Assert.IsType<OutboundAddressRefusedException>(error.InnerException);
        Assert.Empty(target.Requests);
    }

    [Fact]
    public async Task A_redirect_to_the_metadata_address_is_refused_before_it_is_requested()
    {
        await using var server = await RecordingServer.StartAsync(c =>
        {
            c.Response.StatusCode = StatusCodes.Status302Found;
            c.Response.Headers.Location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
            return Task.CompletedTask;
        });
        using var client = GuardFactory.Client(GuardFactory.Create("127.0.0.1"));

        var refused = await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => client.GetAsync(server.Url("/v1/models"), Ct));

        Assert.Equal("169.254.169.254", refused.Host);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Credential_headers_are_dropped_when_a_redirect_changes_origin_and_kept_when_it_does_not()
    {
        await using var other = await RecordingServer.StartAsync(c => c.Response.WriteAsync("other"));
        await using var origin = await RecordingServer.StartAsync(c =>
        {
            c.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            c.Response.Headers.Location = c.Request.Path == "/first" ? "/second" : other.Url("/landed");
            return Task.CompletedTask;
        });
        using var client = GuardFactory.Client(GuardFactory.Create("127.0.0.1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, origin.Url("/first")) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", "sk-workspace-key");
        foreach (var (name, value) in new[] { ("api-key", "azure-key"), ("x-api-key", "anthropic-key"), ("x-goog-api-key", "gemini-key"), ("x-amz-security-token", "token"), ("x-amz-date", "20261205T000000Z"), ("x-trace", "kept") })
            request.Headers.Add(name, value);

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal("other", await response.Content.ReadAsStringAsync(Ct));
        var second = origin.Requests.Single(r => r.Path == "/second");
        Assert.Equal("Bearer sk-workspace-key", second.Headers["authorization"]); // same origin: still the provider
        var landed = Assert.Single(other.Requests);
        Assert.Equal("POST", landed.Method); // 307 keeps the method
        Assert.Equal("kept", landed.Headers["x-trace"]);
        foreach (var name in new[] { "authorization", "api-key", "x-api-key", "x-goog-api-key", "x-amz-security-token", "x-amz-date" })
            Assert.False(landed.Headers.ContainsKey(name), name + " crossed to another origin");
    }

    [Fact]
    public async Task A_303_becomes_a_get_and_a_fourth_redirect_is_not_followed()
    {
        await using var server = await RecordingServer.StartAsync(c =>
        {
            var hop = int.Parse(c.Request.Path.Value!.Trim('/'), System.Globalization.CultureInfo.InvariantCulture);
            c.Response.StatusCode = StatusCodes.Status303SeeOther;
            c.Response.Headers.Location = "/" + (hop + 1);
            return Task.CompletedTask;
        });
        using var client = GuardFactory.Client(GuardFactory.Create("127.0.0.1"));

        using var response = await client.PostAsync(server.Url("/0"), new StringContent("{}"), Ct);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(["POST", "GET", "GET", "GET"], server.Requests.Select(r => r.Method));
        Assert.Equal(1 + GuardedRedirectHandler.MaxRedirects, server.Requests.Count);
    }
}
