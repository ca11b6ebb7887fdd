using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using HoneyHive.ControlPlane.Api.Sso;
using HoneyHive.ControlPlane.Api.Sso.Oidc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Tests.Sso;

/// <summary>
/// OIDC single sign-on against a real OpenID provider (npm oidc-provider), over HTTP as the browser would send it
/// (the browser itself drives the happy path in Web.Tests' SsoSignInTests). Each attack is refused for its own reason
/// (the <c>sso_error</c> the sign-in page shows), creates no user and starts no session.
/// </summary>
public sealed class OidcSignInTests(SsoApp cp) : IClassFixture<SsoApp>
{
    private Guid OrgA => cp.Bootstrap.OrgId;

    private Task<long> UsersWithEmailAsync(string email) => cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = lower(@email)", new { email });

    [Fact]
    public async Task A_first_sign_in_provisions_the_user_with_the_default_role_exactly_once_and_ends_signed_in_where_the_user_started()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain, role: "member");
        var email = $"alice@{domain}";

        var first = await cp.SignInAsync(connection, cp.IdpA, email, returnTo: "/p/123/sessions");
        var second = await cp.SignInAsync(connection, cp.IdpA, email);

        Assert.Equal(HttpStatusCode.SeeOther, first.Status);
        Assert.Null(first.SsoError);
        Assert.Equal("http://web.test/p/123/sessions", first.Location!.AbsoluteUri);
        Assert.Equal("http://web.test/", second.Location!.AbsoluteUri);
        Assert.NotNull(first.RefreshToken);
        Assert.NotNull(second.RefreshToken);

        // The refresh cookie is a session like a password sign-in's: it refreshes into an access token for this user.
        using var browser = cp.Client();
        using var refreshed = await browser.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", first.RefreshToken!));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var access = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        var meBody = await cp.Client(bearer: access).GetFromJsonAsync<JsonElement>("/v1/auth/me");
        Assert.Equal(email, meBody.GetProperty("email").GetString());
        Assert.Contains(meBody.GetProperty("orgs").EnumerateArray(), o => o.GetProperty("id").GetGuid() == OrgA && o.GetProperty("role").GetString() == "member");

        Assert.Equal(1, await UsersWithEmailAsync(email));
        var userId = await cp.ScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        Assert.Equal("member", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE org_id = @OrgA AND user_id = @userId", new { OrgA, userId }));
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM sso_identities WHERE user_id = @userId AND connection_id = @connection", new { userId, connection }));
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE org_id = @OrgA AND action = 'user.provisioned' AND target_id = @id", new { OrgA, id = userId.ToString() }));
        Assert.Equal(2, await cp.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE org_id = @OrgA AND action = 'auth.sso_sign_in' AND actor_id = @id AND after->>'method' = 'sso:oidc'", new { OrgA, id = userId.ToString() }));
        // A provisioned user has no password anyone knows: signing in with one fails like any wrong password.
        using var password = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email, password = "" + Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.Unauthorized, password.StatusCode);
    }

    [Fact]
    public async Task A_connection_using_client_secret_post_signs_in_too()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAPostClient, domain);

        var answer = await cp.SignInAsync(connection, cp.IdpA, $"bob@{domain}");

        Assert.Null(answer.SsoError);
        Assert.NotNull(answer.RefreshToken);
    }

    [Fact]
    public async Task A_callback_with_another_browsers_binding_cookie_or_none_is_refused_and_spends_the_state()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var victim = await cp.StartAsync(connection);
        var attacker = await cp.StartAsync(connection);
        var callback = await cp.IdpA.AuthorizeAsync(victim.AuthorizationUrl, $"carol@{domain}");

        var withOtherCookie = await cp.CallbackAsync(callback, attacker.Binding);
        var afterwards = await cp.CallbackAsync(callback, victim.Binding);
        var other = await cp.StartAsync(connection);
        var withoutCookie = await cp.CallbackAsync(await cp.IdpA.AuthorizeAsync(other.AuthorizationUrl, $"carol@{domain}"), null);

        Assert.Equal(("state", "state", "state"), (withOtherCookie.SsoError, afterwards.SsoError, withoutCookie.SsoError));
        Assert.Equal("/login", withOtherCookie.Location!.AbsolutePath);
        Assert.Null(withOtherCookie.RefreshToken ?? afterwards.RefreshToken ?? withoutCookie.RefreshToken);
        Assert.Equal(0, await UsersWithEmailAsync($"carol@{domain}"));
    }

    [Fact]
    public async Task A_state_that_does_not_match_any_started_sign_in_is_refused()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var started = await cp.StartAsync(connection);
        var callback = await cp.IdpA.AuthorizeAsync(started.AuthorizationUrl, $"dan@{domain}");
        var forged = new Uri(callback.AbsoluteUri.Replace("state=" + started.State, "state=" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)), StringComparison.Ordinal));

        var answer = await cp.CallbackAsync(forged, started.Binding);

        Assert.Equal("state", answer.SsoError);
        Assert.Equal(0, await UsersWithEmailAsync($"dan@{domain}"));
    }

    [Fact]
    public async Task A_replayed_callback_and_a_redeemed_code_under_a_fresh_state_are_refused()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var started = await cp.StartAsync(connection);
        var callback = await cp.IdpA.AuthorizeAsync(started.AuthorizationUrl, $"erin@{domain}");
        Assert.Null((await cp.CallbackAsync(callback, started.Binding)).SsoError);
        var sessions = await cp.ScalarAsync<long>("SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = @e", new { e = $"erin@{domain}" });

        var replayed = await cp.CallbackAsync(callback, started.Binding);
        // The same code under a state and cookie of a new sign-in: the provider refuses it (used, and another PKCE verifier).
        var fresh = await cp.StartAsync(connection);
        var code = QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        var reused = await cp.CallbackAsync(new Uri($"{SsoApp.RedirectUri}?code={code}&state={fresh.State}"), fresh.Binding);

        Assert.Equal("state", replayed.SsoError);
        Assert.Equal("code", reused.SsoError);
        Assert.Equal(sessions, await cp.ScalarAsync<long>("SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = @e", new { e = $"erin@{domain}" }));
    }

    [Fact]
    public async Task An_id_token_minted_for_another_nonce_is_refused()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var started = await cp.StartAsync(connection);
        // The attacker's authorization request: our state and PKCE challenge, but a nonce of their choosing. The code it
        // yields passes the state, cookie and PKCE checks; only the ID token's nonce tells it apart.
        var nonce = QueryHelpers.ParseQuery(started.AuthorizationUrl.Query)["nonce"].ToString();
        var tampered = new Uri(started.AuthorizationUrl.AbsoluteUri.Replace("nonce=" + nonce, "nonce=attacker-nonce-0123456789", StringComparison.Ordinal));

        var answer = await cp.CallbackAsync(await cp.IdpA.AuthorizeAsync(tampered, $"fay@{domain}"), started.Binding);

        Assert.Equal("nonce", answer.SsoError);
        Assert.Equal(0, await UsersWithEmailAsync($"fay@{domain}"));
    }

    [Fact]
    public async Task An_expired_id_token_is_refused()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var started = await cp.StartAsync(connection);
        var callback = await cp.IdpA.AuthorizeAsync(started.AuthorizationUrl, $"gus@{domain}");

        // The provider's ID tokens live an hour; our clock moves past that (and the allowed skew) before the callback.
        cp.Clock.Advance(TimeSpan.FromHours(2));
        CallbackAnswer answer;
        try
        {
            answer = await cp.CallbackAsync(callback, started.Binding);
        }
        finally
        {
            cp.Clock.Advance(TimeSpan.FromHours(-2));
        }

        Assert.Equal("id_token", answer.SsoError);
        Assert.Equal(0, await UsersWithEmailAsync($"gus@{domain}"));
    }

    [Fact]
    public async Task An_id_token_for_another_audience_or_signed_by_an_unknown_key_is_refused_and_a_genuine_one_passes()
    {
        var relyingParty = cp.Services.GetRequiredService<OidcRelyingParty>();
        var settings = new OidcSettings(cp.IdpA.IssuerText, SsoApp.OrgAClient.ClientId, SsoApp.OrgAClient.ClientSecret, ["openid", "email"], "client_secret_basic");
        var genuine = await IdTokenAsync(cp.IdpA, SsoApp.OrgAClient, "nonce-genuine-0123456789");
        var otherAudience = await IdTokenAsync(cp.IdpA, SsoApp.OtherAppClient, "nonce-other-0123456789");
        var kid = new JsonWebToken(genuine).Kid;

        // The genuine token passes: the refusals below come from what was changed, not from the set-up.
        var passed = await relyingParty.ValidateIdTokenAsync(settings, genuine, "nonce-genuine-0123456789", CancellationToken.None);
        Assert.Equal(SsoApp.OrgAClient.ClientId, passed.Audiences.Single());

        var audience = await Assert.ThrowsAsync<SsoSignInRefusedException>(() => relyingParty.ValidateIdTokenAsync(settings, otherAudience, "nonce-other-0123456789", CancellationToken.None));
        Assert.Equal("id_token", audience.Reason);
        Assert.Contains("Audience", audience.Message, StringComparison.OrdinalIgnoreCase);

        // The same claims signed by a key the provider never published, under a new kid and under the provider's own kid.
        foreach (var keyId in new[] { "attacker-key", kid })
        {
            var forged = Resign(genuine, keyId);
            var refused = await Assert.ThrowsAsync<SsoSignInRefusedException>(() => relyingParty.ValidateIdTokenAsync(settings, forged, "nonce-genuine-0123456789", CancellationToken.None));
            Assert.Equal("id_token", refused.Reason);
            Assert.Contains("ignature", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_identity_provider_of_another_org_cannot_sign_in_this_orgs_users_nor_answer_for_this_orgs_connection()
    {
        var domainA = SsoApp.NewDomain();
        var domainB = SsoApp.NewDomain();
        var connectionA = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domainA);
        var connectionB = await cp.CreateConnectionAsync(cp.OrgB, cp.IdpB, SsoApp.OrgBClient, domainB);

        // Org B's provider asserts a user of org A's domain: refused, nothing created.
        var foreignEmail = await cp.SignInAsync(connectionB, cp.IdpB, $"hank@{domainA}");
        Assert.Equal("email_domain", foreignEmail.SsoError);
        Assert.Equal(0, await UsersWithEmailAsync($"hank@{domainA}"));

        // Org B's provider answers a sign-in that org A's connection started: its iss names it, and without iss
        // org A's token endpoint does not know its code.
        var startedA = await cp.StartAsync(connectionA);
        var startedB = await cp.StartAsync(connectionB);
        var fromB = await cp.IdpB.AuthorizeAsync(startedB.AuthorizationUrl, $"hank@{domainA}");
        var code = QueryHelpers.ParseQuery(fromB.Query)["code"].ToString();
        var withIss = await cp.CallbackAsync(new Uri($"{SsoApp.RedirectUri}?code={code}&state={startedA.State}&iss={Uri.EscapeDataString(cp.IdpB.IssuerText)}"), startedA.Binding);
        var startedA2 = await cp.StartAsync(connectionA);
        var withoutIss = await cp.CallbackAsync(new Uri($"{SsoApp.RedirectUri}?code={code}&state={startedA2.State}"), startedA2.Binding);
        Assert.Equal("issuer", withIss.SsoError);
        Assert.Equal("code", withoutIss.SsoError);

        // And an ID token of org B's provider is not one of org A's connection (issuer and keys).
        var relyingParty = cp.Services.GetRequiredService<OidcRelyingParty>();
        var settingsA = new OidcSettings(cp.IdpA.IssuerText, SsoApp.OrgAClient.ClientId, SsoApp.OrgAClient.ClientSecret, ["openid", "email"], "client_secret_basic");
        var tokenB = await IdTokenAsync(cp.IdpB, SsoApp.OrgBClient, "nonce-b-0123456789");
        var refused = await Assert.ThrowsAsync<SsoSignInRefusedException>(() => relyingParty.ValidateIdTokenAsync(settingsA, tokenB, "nonce-b-0123456789", CancellationToken.None));
        Assert.Equal("id_token", refused.Reason);
        Assert.Equal(0, await UsersWithEmailAsync($"hank@{domainA}"));
    }

    [Fact]
    public async Task An_existing_account_outside_the_connections_org_is_not_taken_over_and_a_member_is_linked()
    {
        var domain = SsoApp.NewDomain();
        var connectionB = await cp.CreateConnectionAsync(cp.OrgB, cp.IdpB, SsoApp.OrgBClient, domain);
        var existing = await cp.CreateUserAsync(orgId: OrgA);
        var email = $"ivy-{Guid.NewGuid():N}@{domain}";
        await cp.ScalarAsync<int>("UPDATE users SET email = @email WHERE id = @Id", new { email, existing.Id });

        var outsider = await cp.SignInAsync(connectionB, cp.IdpB, email);
        Assert.Equal("account_exists", outsider.SsoError);
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM org_members WHERE org_id = @OrgB AND user_id = @Id", new { cp.OrgB, existing.Id }));

        // Once org B holds the account (an invitation accepted), its provider signs it in: linked, not duplicated.
        await cp.ScalarAsync<int>("INSERT INTO org_members (org_id, user_id, role) VALUES (@OrgB, @Id, 'viewer')", new { cp.OrgB, existing.Id });
        var member = await cp.SignInAsync(connectionB, cp.IdpB, email);
        Assert.Null(member.SsoError);
        Assert.Equal(1, await UsersWithEmailAsync(email));
        Assert.Equal(existing.Id, await cp.ScalarAsync<Guid>("SELECT user_id FROM sso_identities WHERE connection_id = @connectionB", new { connectionB }));
    }

    [Fact]
    public async Task An_email_the_provider_did_not_verify_is_refused()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);

        var answer = await cp.SignInAsync(connection, cp.IdpA, $"unverified-jo@{domain}");

        Assert.Equal("email_unverified", answer.SsoError);
        Assert.Equal(0, await UsersWithEmailAsync($"unverified-jo@{domain}"));
    }

    [Fact]
    public async Task A_disabled_connection_neither_starts_nor_finishes_a_sign_in()
    {
        var domain = SsoApp.NewDomain();
        var connection = await cp.CreateConnectionAsync(OrgA, cp.IdpA, SsoApp.OrgAClient, domain);
        var started = await cp.StartAsync(connection);
        var callback = await cp.IdpA.AuthorizeAsync(started.AuthorizationUrl, $"kim@{domain}");
        (await cp.Admin().PutAsJsonAsync($"/v1/orgs/{OrgA}/sso_connections/{connection}", new { enabled = false })).EnsureSuccessStatusCode();

        var finished = await cp.CallbackAsync(callback, started.Binding);
        using var start = await cp.Client().GetAsync($"/v1/auth/sso/oidc/{connection}/start");

        Assert.Equal("connection", finished.SsoError);
        Assert.Equal(HttpStatusCode.SeeOther, start.StatusCode);
        Assert.Equal("connection", QueryHelpers.ParseQuery(start.Headers.Location!.Query)["sso_error"].ToString());
    }

    /// <summary>An ID token of <paramref name="idp"/> for <paramref name="client"/>, obtained as that client would (code flow with PKCE).</summary>
    private static async Task<string> IdTokenAsync(OidcTestProvider idp, OidcTestClient client, string nonce)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var callback = await idp.AuthorizeAsync(idp.AuthorizationUrl(client, "state-" + Guid.NewGuid().ToString("N"), nonce, verifier), $"token-{Guid.NewGuid():N}@example.test");
        return await idp.ExchangeAsync(client, callback, verifier);
    }

    /// <summary>The claims of <paramref name="token"/> signed again with a fresh RSA key the provider never published.</summary>
    private static string Resign(string token, string keyId)
    {
        using var rsa = RSA.Create(2048);
        var payload = Base64UrlEncoder.Decode(token.Split('.')[1]);
        var key = new RsaSecurityKey(rsa.ExportParameters(true)) { KeyId = keyId };
        return new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
    }
}
