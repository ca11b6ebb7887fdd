using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Sso.Saml;
using Microsoft.AspNetCore.WebUtilities;

namespace HoneyHive.ControlPlane.Tests.Sso.Saml;

/// <summary>A started SP-initiated sign-in: the IdP URL carrying our AuthnRequest, and the request cookie the browser got.</summary>
public sealed record SamlStarted(Uri IdpUrl, string RequestCookie);

/// <summary>
/// The control plane with two real SAML IdPs (<see cref="SamlTestIdp"/>, samlify): <see cref="IdpA"/> for org A's
/// connections and <see cref="IdpB"/>, the IdP of another org. The CP believes browsers reach it at http://cp.test and
/// the web UI at http://web.test (as <see cref="SsoApp"/>); the IdP's pages are followed over HTTP and its form posted
/// to the CP as the browser would post it.
/// </summary>
public sealed class SamlApp() : ControlPlaneApp(new Dictionary<string, string?>
{
    ["Auth:Sso:PublicApiUrl"] = "http://cp.test",
    ["ControlPlane:PublicUrl"] = "http://web.test",
    ["Auth:Sso:RequireHttps"] = "false",
})
{
    public SamlTestIdp IdpA { get; private set; } = null!;
    public SamlTestIdp IdpB { get; private set; } = null!;

    public string AdminToken { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        IdpA = await SamlTestIdp.StartAsync("https://idp.org-a.test/saml");
        IdpB = await SamlTestIdp.StartAsync("https://idp.org-b.test/saml");
        await base.InitializeAsync();
        AdminToken = (await LoginAsync(Bootstrap.AdminEmail, Bootstrap.AdminPassword)).AccessToken;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (IdpA is not null) await IdpA.DisposeAsync();
        if (IdpB is not null) await IdpB.DisposeAsync();
    }

    public HttpClient Admin() => Client(bearer: AdminToken);

    /// <summary>POSTs a saml connection; the raw answer, for tests of the config checks.</summary>
    public async Task<HttpResponseMessage> PostConnectionAsync(object config, string domain)
    {
        using var admin = Admin();
        return await admin.PostAsJsonAsync($"/v1/orgs/{Bootstrap.OrgId}/sso_connections", new
        {
            protocol = "saml",
            name = "SAML " + domain,
            email_domains = new[] { domain },
            default_role = "member",
            config,
        });
    }

    /// <summary>
    /// A saml connection of org A trusting <paramref name="idp"/>'s certificate, set up as an admin would: created
    /// through the API, then our SP metadata (from the metadata route) imported into <paramref name="idp"/>.
    /// </summary>
    public async Task<Guid> CreateConnectionAsync(SamlTestIdp idp, string domain, bool allowIdpInitiated = false)
    {
        using var response = await PostConnectionAsync(new
        {
            idp_entity_id = idp.EntityId,
            idp_sso_url = idp.SsoUrl,
            idp_certificate = idp.CertificatePem,
            allow_idp_initiated = allowIdpInitiated,
        }, domain);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Creating the connection answered {(int)response.StatusCode}: {text}");
        var id = Guid.Parse(JsonNode.Parse(text)!["data"]!["id"]!.GetValue<string>());
        await idp.TrustAsync(await MetadataAsync(id));
        return id;
    }

    public async Task<string> MetadataAsync(Guid connectionId)
    {
        using var client = Client();
        using var response = await client.GetAsync($"{SamlSignIn.RoutePrefix}/{connectionId}/metadata");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Metadata answered {(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>Starts an SP-initiated sign-in as the sign-in page's browser would (GET the start URL).</summary>
    public async Task<SamlStarted> StartAsync(Guid connectionId, string? returnTo = null)
    {
        using var client = Client();
        using var response = await client.GetAsync($"{SamlSignIn.RoutePrefix}/{connectionId}/start" + (returnTo is null ? "" : "?return_to=" + Uri.EscapeDataString(returnTo)));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Start answered {(int)response.StatusCode}: {response.Headers.Location}");
        var cookie = SetCookie(response, SamlAuthApi.RequestCookie) ?? throw new Xunit.Sdk.XunitException("Start set no request cookie.");
        return new SamlStarted(response.Headers.Location!, cookie.Split(';')[0][(SamlAuthApi.RequestCookie.Length + 1)..]);
    }

    /// <summary>POSTs what an IdP's page posts to our ACS, with <paramref name="requestCookie"/> as the browser's cookie (none when null).</summary>
    public async Task<CallbackAnswer> PostAsync(SamlPost post, string? requestCookie)
    {
        Assert.StartsWith("http://cp.test" + SamlSignIn.RoutePrefix + "/", post.Action.AbsoluteUri, StringComparison.Ordinal);
        using var client = Client();
        var fields = new Dictionary<string, string> { ["SAMLResponse"] = post.SamlResponse };
        if (post.RelayState is not null) fields["RelayState"] = post.RelayState;
        using var request = new HttpRequestMessage(HttpMethod.Post, post.Action.PathAndQuery) { Content = new FormUrlEncodedContent(fields) };
        if (requestCookie is not null) request.Headers.Add("Cookie", $"{SamlAuthApi.RequestCookie}={requestCookie}");
        using var response = await client.SendAsync(request);
        return CallbackAnswer.Of(response);
    }

    /// <summary>The whole SP-initiated flow for <paramref name="email"/>: start, the IdP's page, the POST back.</summary>
    public async Task<CallbackAnswer> SignInAsync(Guid connectionId, SamlTestIdp idp, string email, string? returnTo = null)
    {
        var started = await StartAsync(connectionId, returnTo);
        Assert.StartsWith(idp.SsoUrl + "?", started.IdpUrl.AbsoluteUri, StringComparison.Ordinal);
        return await PostAsync(await idp.SignInAsync(started.IdpUrl, email), started.RequestCookie);
    }

    /// <summary>Fails the test, with the refusals the app logged, unless <paramref name="answer"/> signed the browser in.</summary>
    public void AssertSignedIn(CallbackAnswer answer)
    {
        var refusals = string.Join("\n", Logs.Lines.Where(l => l.Contains("refused", StringComparison.Ordinal)));
        Assert.True(answer.SsoError is null && answer.RefreshToken is not null, $"The sign-in was refused ({answer.SsoError}); logged: {refusals}");
    }

    /// <summary>Whether the app logged a SAML refusal containing <paramref name="reason"/>.</summary>
    public bool LoggedRefusal(string reason) => Logs.Lines.Any(l => l.Contains("SAML Response refused", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal));
}
