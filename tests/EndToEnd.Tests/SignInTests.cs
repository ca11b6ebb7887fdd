using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>Signing in on the single-node Host as `./hh up` runs it: the bootstrap admin, on the control plane's port only.</summary>
public sealed class SignInTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task The_bootstrap_admin_signs_in_on_the_cp_port_and_the_token_opens_me()
    {
        var bootstrap = host.ReadBootstrap();
        using var anonymous = host.Client(host.ControlPlaneApi);

        using var login = await anonymous.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new
        {
            email = bootstrap.GetProperty("admin_email").GetString(),
            password = bootstrap.GetProperty("admin_password").GetString(),
        });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var accessToken = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        using var signedIn = host.Client(host.ControlPlaneApi, accessToken);
        using var me = JsonDocument.Parse(await signedIn.GetStringAsync(new Uri("/v1/auth/me", UriKind.Relative)));

        Assert.Equal(bootstrap.GetProperty("admin_email").GetString(), me.RootElement.GetProperty("email").GetString());
        var org = Assert.Single(me.RootElement.GetProperty("orgs").EnumerateArray());
        Assert.Equal("owner", org.GetProperty("role").GetString());
        using var jwks = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)));
        Assert.Contains(jwks.RootElement.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kty").GetString() == "EC");
    }

    [Fact]
    public async Task Sign_in_does_not_answer_on_the_data_plane_port()
    {
        using var client = host.Client(host.DataPlaneApi);
        using var login = await client.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new { email = "admin@localhost", password = "whatever-password" });
        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
    }
}
