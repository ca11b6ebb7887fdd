using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.ControlPlane.Api.Sso.Saml;

namespace HoneyHive.ControlPlane.Tests.Sso.Saml;

/// <summary>
/// SAML single sign-on end to end against a real IdP (npm samlify), its pages followed over HTTP and its form posted
/// back as a browser posts it: SP- and IdP-initiated sign-ins end in a session of a just-in-time provisioned user;
/// a replayed Response, another browser's Response, an IdP-initiated one where the connection does not allow it and
/// a Response signed by another org's IdP end on the sign-in page with <c>sso_error=saml</c>, creating no session.
/// </summary>
public sealed class SamlIdpSignInTests(SamlApp cp) : IClassFixture<SamlApp>
{
    private static string NewDomain() => $"s{Guid.NewGuid():N}"[..16] + ".test";

    private Task<long> SessionsOfAsync(string email) =>
        cp.ScalarAsync<long>("SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE lower(u.email) = lower(@email)", new { email });

    [Fact]
    public async Task An_sp_initiated_sign_in_provisions_the_user_and_ends_signed_in_where_the_user_started()
    {
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain);
        var email = $"ada@{domain}";

        var answer = await cp.SignInAsync(connection, cp.IdpA, email, returnTo: "/p/1/sessions");

        cp.AssertSignedIn(answer);
        Assert.Equal(HttpStatusCode.SeeOther, answer.Status);
        Assert.Equal("http://web.test/p/1/sessions", answer.Location!.AbsoluteUri);
        Assert.NotNull(answer.RefreshToken);
        // The refresh cookie is a session: it refreshes into an access token of the provisioned user, a member of org A.
        using var browser = cp.Client();
        using var refreshed = await browser.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", answer.RefreshToken!));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var access = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        var me = await cp.Client(bearer: access).GetFromJsonAsync<JsonElement>("/v1/auth/me");
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Contains(me.GetProperty("orgs").EnumerateArray(), o => o.GetProperty("id").GetGuid() == cp.Bootstrap.OrgId && o.GetProperty("role").GetString() == "member");
        Assert.Equal(1, await cp.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.sso_sign_in' AND target_id = @id AND after->>'method' = 'sso:saml'", new { id = connection.ToString() }));

        // A second sign-in finds the same user (linked by NameID), it does not make another.
        cp.AssertSignedIn(await cp.SignInAsync(connection, cp.IdpA, email));
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = @email", new { email }));
    }

    [Fact]
    public async Task An_idp_initiated_sign_in_works_where_the_connection_allows_it()
    {
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain, allowIdpInitiated: true);
        var email = $"grace@{domain}";

        var post = await cp.IdpA.InitiateAsync(SamlSignIn.ServiceProviderOf(new() { PublicApiUrl = "http://cp.test" }, connection).EntityId, email, relayState: "/datasets");
        var answer = await cp.PostAsync(post, requestCookie: null);

        cp.AssertSignedIn(answer);
        Assert.Equal("http://web.test/datasets", answer.Location!.AbsoluteUri);
        Assert.NotNull(answer.RefreshToken);
        Assert.Equal(1, await SessionsOfAsync(email));
    }

    [Fact]
    public async Task An_idp_initiated_response_is_refused_where_the_connection_does_not_allow_it()
    {
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain, allowIdpInitiated: false);
        var email = $"eve@{domain}";

        var post = await cp.IdpA.InitiateAsync(SamlSignIn.ServiceProviderOf(new() { PublicApiUrl = "http://cp.test" }, connection).EntityId, email);
        var answer = await cp.PostAsync(post, requestCookie: null);

        Assert.Equal("saml", answer.SsoError);
        Assert.Null(answer.RefreshToken);
        Assert.True(cp.LoggedRefusal("does not allow IdP-initiated sign-in"));
        Assert.Equal(0, await SessionsOfAsync(email));
    }

    [Fact]
    public async Task A_replayed_response_is_refused()
    {
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain);
        var email = $"replay@{domain}";
        var started = await cp.StartAsync(connection);
        var post = await cp.IdpA.SignInAsync(started.IdpUrl, email);

        cp.AssertSignedIn(await cp.PostAsync(post, started.RequestCookie));
        var replayed = await cp.PostAsync(post, started.RequestCookie);

        Assert.Equal("saml", replayed.SsoError);
        Assert.Null(replayed.RefreshToken);
        Assert.Equal(1, await SessionsOfAsync(email));
    }

    [Fact]
    public async Task A_response_posted_from_a_browser_that_did_not_start_the_sign_in_is_refused()
    {
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain);
        var email = $"csrf@{domain}";
        var attackers = await cp.StartAsync(connection);
        var post = await cp.IdpA.SignInAsync(attackers.IdpUrl, email);

        var victims = await cp.StartAsync(connection);
        var answer = await cp.PostAsync(post, victims.RequestCookie);
        var noCookie = await cp.PostAsync(post, requestCookie: null);

        Assert.Equal("saml", answer.SsoError);
        Assert.Equal("saml", noCookie.SsoError);
        Assert.True(cp.LoggedRefusal("this browser did not start"));
        Assert.Equal(0, await SessionsOfAsync(email));
    }

    [Fact]
    public async Task A_response_signed_by_another_orgs_idp_is_refused()
    {
        // Org B's IdP knows our SP (its metadata is public) and signs an assertion for org A's connection with its own key.
        var domain = NewDomain();
        var connection = await cp.CreateConnectionAsync(cp.IdpA, domain, allowIdpInitiated: true);
        await cp.IdpB.TrustAsync(await cp.MetadataAsync(connection));
        var email = $"intruder@{domain}";

        var post = await cp.IdpB.InitiateAsync(SamlSignIn.ServiceProviderOf(new() { PublicApiUrl = "http://cp.test" }, connection).EntityId, email);
        var answer = await cp.PostAsync(post, requestCookie: null);

        Assert.Equal("saml", answer.SsoError);
        Assert.True(cp.LoggedRefusal("does not verify with the IdP certificate configured on this connection"));
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = @email", new { email }));
    }

    [Fact]
    public async Task The_metadata_route_serves_the_connections_sp_and_nothing_for_unknown_ids()
    {
        var connection = await cp.CreateConnectionAsync(cp.IdpA, NewDomain());
        var metadata = await cp.MetadataAsync(connection);
        Assert.Contains($"entityID=\"http://cp.test/v1/auth/sso/saml/{connection}/metadata\"", metadata, StringComparison.Ordinal);
        Assert.Contains($"Location=\"http://cp.test/v1/auth/sso/saml/{connection}/acs\"", metadata, StringComparison.Ordinal);

        using var client = cp.Client();
        using var unknown = await client.GetAsync($"{SamlSignIn.RoutePrefix}/{Guid.NewGuid()}/metadata");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("idp_certificate", "not a certificate", "config.idp_certificate")]
    [InlineData("idp_sso_url", "ftp://idp.test/sso", "config.idp_sso_url")]
    [InlineData("idp_entity_id", "", "config.idp_entity_id")]
    [InlineData("allow_idp_initiated", "yes", "config.allow_idp_initiated")]
    public async Task A_wrong_saml_setting_is_refused_naming_the_field(string field, string value, string named)
    {
        var config = new Dictionary<string, object>
        {
            ["idp_entity_id"] = cp.IdpA.EntityId,
            ["idp_sso_url"] = cp.IdpA.SsoUrl,
            ["idp_certificate"] = cp.IdpA.CertificatePem,
            [field] = value,
        };
        using var response = await cp.PostConnectionAsync(config, NewDomain());
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, text, StringComparison.Ordinal);
    }
}
