using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Sso.Oidc;
using Microsoft.AspNetCore.WebUtilities;

namespace HoneyHive.ControlPlane.Tests.Sso;

/// <summary>The answer of a callback (OIDC) or ACS post (SAML): where the browser is sent, the SSO refusal reason (null on success) and the refresh cookie set.</summary>
public sealed record CallbackAnswer(HttpStatusCode Status, Uri? Location, string? SsoError, string? RefreshToken)
{
    public static CallbackAnswer Of(HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        var error = location is null ? null : QueryHelpers.ParseQuery(location.Query).GetValueOrDefault("sso_error").ToString() is { Length: > 0 } e ? e : null;
        return new CallbackAnswer(response.StatusCode, location, error, ControlPlaneApp.RefreshCookie(response));
    }
}

/// <summary>A started sign-in: the provider's authorization URL and the binding cookie the browser got.</summary>
public sealed record StartedSignIn(Uri AuthorizationUrl, string Binding)
{
    public string State => QueryHelpers.ParseQuery(AuthorizationUrl.Query)["state"].ToString();
}

/// <summary>
/// The control plane (<see cref="ControlPlaneApp"/>: real sign-in, sessions, Redis, a movable clock) with two real
/// OpenID providers (<see cref="OidcTestProvider"/>): <see cref="IdpA"/> with the client of org A and a second client
/// (another application at the same issuer), and <see cref="IdpB"/>, the provider of another org. The CP believes
/// browsers reach it at http://cp.test and the web UI at http://web.test; providers on 127.0.0.1 are allowed by the
/// operator's SSRF allowlist and http by Auth:Sso:RequireHttps=false, as a local test provider needs.
/// </summary>
public sealed class SsoApp() : ControlPlaneApp(new Dictionary<string, string?>
{
    ["Auth:Sso:PublicApiUrl"] = "http://cp.test",
    ["ControlPlane:PublicUrl"] = "http://web.test",
    ["Auth:Sso:RequireHttps"] = "false",
    ["Auth:Sso:MaxDiscoveriesPerIp"] = "5",
    ["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1",
})
{
    public const string RedirectUri = "http://cp.test/v1/auth/sso/oidc/callback";

    public static OidcTestClient OrgAClient { get; } = new("org-a", "org-a-secret-" + Guid.NewGuid().ToString("N"), [RedirectUri]);
    public static OidcTestClient OrgAPostClient { get; } = new("org-a-post", "org-a-post-secret-" + Guid.NewGuid().ToString("N"), [RedirectUri], "client_secret_post");
    public static OidcTestClient OtherAppClient { get; } = new("other-app", "other-app-secret-" + Guid.NewGuid().ToString("N"), ["http://other.test/cb"]);
    public static OidcTestClient OrgBClient { get; } = new("org-b", "org-b-secret-" + Guid.NewGuid().ToString("N"), [RedirectUri]);

    public OidcTestProvider IdpA { get; private set; } = null!;
    public OidcTestProvider IdpB { get; private set; } = null!;

    /// <summary>The bootstrap admin's access token (owner of the bootstrap org and of <see cref="OrgB"/>).</summary>
    public string AdminToken { get; private set; } = "";

    /// <summary>A second org, owned by the bootstrap admin too.</summary>
    public Guid OrgB { get; } = Guid.NewGuid();

    public override async Task InitializeAsync()
    {
        IdpA = await OidcTestProvider.StartAsync(OrgAClient, OrgAPostClient, OtherAppClient);
        IdpB = await OidcTestProvider.StartAsync(OrgBClient);
        await base.InitializeAsync();
        await using (var connection = await Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO orgs (id, name) VALUES (@OrgB, 'Org B')", new { OrgB });
            await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role) SELECT @OrgB, id, 'owner' FROM users WHERE email = @email",
                new { OrgB, email = Bootstrap.AdminEmail });
        }
        AdminToken = (await LoginAsync(Bootstrap.AdminEmail, Bootstrap.AdminPassword)).AccessToken;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (IdpA is not null) await IdpA.DisposeAsync();
        if (IdpB is not null) await IdpB.DisposeAsync();
    }

    public HttpClient Admin() => Client(bearer: AdminToken);

    /// <summary>A unique email domain (domains are unique across enabled connections).</summary>
    public static string NewDomain() => $"d{Guid.NewGuid():N}"[..16] + ".test";

    /// <summary>An OIDC connection in <paramref name="orgId"/> through the API; its id.</summary>
    public async Task<Guid> CreateConnectionAsync(Guid orgId, OidcTestProvider idp, OidcTestClient client, string domain, string role = "viewer")
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync($"/v1/orgs/{orgId}/sso_connections", new
        {
            protocol = "oidc",
            name = "IdP " + client.ClientId,
            email_domains = new[] { domain },
            default_role = role,
            config = new { issuer = idp.IssuerText, client_id = client.ClientId, token_endpoint_auth_method = client.TokenEndpointAuthMethod },
            client_secret = client.ClientSecret,
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Creating the connection answered {(int)response.StatusCode}: {text}");
        return Guid.Parse(JsonNode.Parse(text)!["data"]!["id"]!.GetValue<string>());
    }

    /// <summary>Starts a sign-in as the sign-in page's browser would (GET the start URL): the provider's URL and the binding cookie.</summary>
    public async Task<StartedSignIn> StartAsync(Guid connectionId, string? returnTo = null)
    {
        using var client = Client();
        using var response = await client.GetAsync($"/v1/auth/sso/oidc/{connectionId}/start" + (returnTo is null ? "" : "?return_to=" + Uri.EscapeDataString(returnTo)));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Start answered {(int)response.StatusCode}: {response.Headers.Location}");
        var cookie = SetCookie(response, OidcRelyingParty.BindingCookie) ?? throw new Xunit.Sdk.XunitException("Start set no binding cookie.");
        return new StartedSignIn(response.Headers.Location!, cookie.Split(';')[0][(OidcRelyingParty.BindingCookie.Length + 1)..]);
    }

    /// <summary>Sends the browser's request to the callback URL the provider redirected to, with <paramref name="binding"/> as its cookie (none when null).</summary>
    public async Task<CallbackAnswer> CallbackAsync(Uri callback, string? binding)
    {
        Assert.StartsWith(RedirectUri, callback.AbsoluteUri, StringComparison.Ordinal);
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, callback.PathAndQuery);
        if (binding is not null) request.Headers.Add("Cookie", $"{OidcRelyingParty.BindingCookie}={binding}");
        using var response = await client.SendAsync(request);
        return CallbackAnswer.Of(response);
    }

    /// <summary>The whole flow for <paramref name="email"/> through <paramref name="connectionId"/> at <paramref name="idp"/>.</summary>
    public async Task<CallbackAnswer> SignInAsync(Guid connectionId, OidcTestProvider idp, string email, string? returnTo = null)
    {
        var started = await StartAsync(connectionId, returnTo);
        Assert.StartsWith(idp.IssuerText, started.AuthorizationUrl.AbsoluteUri, StringComparison.Ordinal);
        return await CallbackAsync(await idp.AuthorizeAsync(started.AuthorizationUrl, email), started.Binding);
    }
}
