using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.ControlPlane.Tests.Mfa;

/// <summary>
/// An org that requires single sign-on closes every other way in for its members: password sign-in, refresh of a
/// password session, password reset, and API keys made from a password session. Its break-glass accounts still sign
/// in by password (and their MFA), and each such sign-in is in the org's audit log.
/// </summary>
public sealed class SsoEnforcementTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    private sealed record SsoOrg(Guid Id, string Name, Guid Project, TestUser Admin, SignedIn AdminSession, TestUser Member);

    /// <summary>An org with an owner who is its break-glass account, and a member; SSO is required from the start.</summary>
    private async Task<SsoOrg> SsoOrgAsync(Func<TestUser, Task>? beforeRequiring = null)
    {
        var name = "SSO Corp " + Guid.NewGuid().ToString("N")[..6];
        var (org, project) = await cp.CreateOrgAsync(name);
        var (admin, session) = await cp.OwnerAsync(org);
        var member = await cp.CreateUserAsync(BuiltInRoles.Admin, org);
        if (beforeRequiring is not null) await beforeRequiring(member);
        await cp.AddSsoConnectionAsync(org);
        await cp.SetSecurityAsync(session, org, new { require_sso = true, break_glass_user_ids = new[] { admin.Id } });
        return new SsoOrg(org, name, project, admin, session, member);
    }

    [Fact]
    public async Task Password_sign_in_of_a_member_is_refused_with_403_naming_the_org_but_a_wrong_password_learns_nothing()
    {
        var org = await SsoOrgAsync();
        using var client = cp.Client();

        var refusal = await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/login", new { email = org.Member.Email, password = org.Member.Password }), HttpStatusCode.Forbidden);
        Assert.Contains($"Org '{org.Name}' requires single sign-on", refusal, StringComparison.Ordinal);

        // Without the password the answer is the usual one, saying nothing of the org.
        var wrong = await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/login", new { email = org.Member.Email, password = "not-the-password-1" }), HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(org.Name, wrong, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_break_glass_account_signs_in_by_password_and_the_sign_in_is_audited_in_the_org()
    {
        var org = await SsoOrgAsync();

        var session = await cp.LoginAsync(org.Admin);

        Assert.Equal("password", await cp.MethodOfSessionAsync(session.AccessToken));
        var entry = await BreakGlassEntryAsync(org, session.AccessToken);
        Assert.Equal("password", entry["after"]!["method"]!.GetValue<string>());
        Assert.Equal(("user", org.Admin.Id.ToString()), (entry["actor_type"]!.GetValue<string>(), entry["actor_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_break_glass_account_with_mfa_still_answers_its_code_and_the_finished_sign_in_is_audited()
    {
        var org = await SsoOrgAsync();
        var authenticator = await cp.EnrolAsync(org.AdminSession);

        var challenge = await cp.ChallengeAsync(org.Admin.Email, org.Admin.Password);
        Assert.Equal(0, await CountAsync(org.Id, "auth.break_glass_sign_in")); // not yet: no session exists
        var tokens = await MfaSteps.Ok(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret)));

        var entry = await BreakGlassEntryAsync(org, tokens["access_token"]!.GetValue<string>());
        Assert.Equal("mfa", entry["after"]!["method"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_password_reset_is_neither_mailed_to_nor_completed_by_a_member()
    {
        var org = await SsoOrgAsync();
        var control = await cp.CreateUserAsync();
        using var client = cp.Client();

        // Same 202 for both; the mailer works in order, so once the control's token exists the member's request was handled.
        foreach (var email in new[] { org.Member.Email, control.Email })
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/auth/password-reset", new { email })).StatusCode);
        await using var connection = await cp.Database.OpenConnectionAsync();
        for (var i = 0; i < 200 && await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM password_resets WHERE user_id = @Id", control) == 0; i++)
            await Task.Delay(50);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM password_resets WHERE user_id = @Id", control));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM password_resets WHERE user_id = @Id", org.Member));

        // A link mailed before the org required SSO opens nothing now, and stays unspent.
        var (token, _) = await cp.Services.GetRequiredService<PasswordResets>().CreateAsync(org.Member.Id, CancellationToken.None);
        var refusal = await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token, new_password = "a brand new long password" }), HttpStatusCode.Forbidden);
        Assert.Contains($"Org '{org.Name}' requires single sign-on", refusal, StringComparison.Ordinal);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM password_resets WHERE user_id = @Id AND used_at IS NOT NULL", org.Member));
        await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/login", new { email = org.Member.Email, password = org.Member.Password }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Api_keys_cannot_be_created_from_a_members_password_session_but_can_from_sso_and_break_glass_sessions()
    {
        SignedIn? before = null;
        var org = await SsoOrgAsync(async member => before = await cp.LoginAsync(member));

        // A password session from before SSO was required.
        using (var password = cp.Client(bearer: before!.AccessToken))
        {
            var refusal = await MfaSteps.ProblemAsync(await password.PostAsJsonAsync($"/v1/orgs/{org.Id}/api_keys", new { name = "k", permissions = new[] { Permissions.KeysRead } }), HttpStatusCode.Forbidden);
            Assert.Contains($"Org '{org.Name}' requires single sign-on", refusal, StringComparison.Ordinal);
            await MfaSteps.ProblemAsync(await password.PostAsJsonAsync($"/v1/projects/{org.Project}/api_keys", new { name = "k", scopes = new[] { "read" } }), HttpStatusCode.Forbidden);
        }

        // The same member signed in by SSO (as the OIDC and SAML sign-ins issue sessions).
        var sso = await cp.Services.GetRequiredService<SessionStore>().IssueAsync(org.Member.Id, SessionMethods.SsoOidc, CancellationToken.None);
        var access = await cp.Services.GetRequiredService<SignIn>().AccessTokenAsync(org.Member.Id, org.Member.Email, sso.SessionId, CancellationToken.None);
        using (var ssoClient = cp.Client(bearer: access.Token))
        {
            Assert.Equal(HttpStatusCode.Created, (await ssoClient.PostAsJsonAsync($"/v1/orgs/{org.Id}/api_keys", new { name = "k", permissions = new[] { Permissions.KeysRead } })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await ssoClient.PostAsJsonAsync($"/v1/projects/{org.Project}/api_keys", new { name = "k", scopes = new[] { "read" } })).StatusCode);
        }

        // The break-glass account's password session may (it is how the org is reached when the IdP fails).
        using var breakGlass = cp.Client(bearer: (await cp.LoginAsync(org.Admin)).AccessToken);
        Assert.Equal(HttpStatusCode.Created, (await breakGlass.PostAsJsonAsync($"/v1/orgs/{org.Id}/api_keys", new { name = "k", permissions = new[] { Permissions.KeysRead } })).StatusCode);
    }

    [Fact]
    public async Task A_members_password_session_ends_at_its_next_refresh_and_an_sso_session_refreshes()
    {
        SignedIn? before = null;
        var org = await SsoOrgAsync(async member => before = await cp.LoginAsync(member));
        using var client = cp.Client();

        using var refused = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", before!.RefreshToken));
        Assert.Contains("requires single sign-on", await MfaSteps.ProblemAsync(refused, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM refresh_tokens WHERE user_id = @Id AND revoked_at IS NULL AND method = 'password'", org.Member));

        var sso = await cp.Services.GetRequiredService<SessionStore>().IssueAsync(org.Member.Id, SessionMethods.SsoSaml, CancellationToken.None);
        using var refreshed = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", sso.Value));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task Members_of_other_orgs_are_not_held_to_it()
    {
        await SsoOrgAsync();
        var outsider = await cp.CreateUserAsync(BuiltInRoles.Admin);
        var session = await cp.LoginAsync(outsider);
        using var client = cp.Client(bearer: session.AccessToken);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/orgs/{outsider.OrgId}/api_keys", new { name = "k", permissions = new[] { Permissions.KeysRead } })).StatusCode);
    }

    private async Task<JsonNode> BreakGlassEntryAsync(SsoOrg org, string accessToken)
    {
        using var reader = cp.Client(bearer: accessToken);
        var entries = (await MfaSteps.Ok(await reader.GetAsync($"/v1/orgs/{org.Id}/audit?action=auth.break_glass_sign_in")))["data"]!.AsArray();
        var entry = Assert.Single(entries)!;
        Assert.Equal(("user", org.Admin.Id.ToString()), (entry["target_type"]!.GetValue<string>(), entry["target_id"]!.GetValue<string>()));
        Assert.Equal(ControlPlaneApp.Payload(accessToken).GetProperty("sid").GetString(), entry["after"]!["session_id"]!.GetValue<string>());
        return entry;
    }

    private async Task<int> CountAsync(Guid org, string action)
    {
        await using var connection = await cp.Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE org_id = @org AND action = @action", new { org, action });
    }
}
