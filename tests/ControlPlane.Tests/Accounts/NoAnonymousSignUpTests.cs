using System.Net;
using HoneyHive.ControlPlane.Tests.Tenancy;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>
/// Accounts come from an invitation or the bootstrap only: no route open to anyone creates one, whatever it is called,
/// and accepting an invitation without a valid token creates nothing.
/// </summary>
public sealed class NoAnonymousSignUpTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    /// <summary>
    /// The only routes open to anyone that are not reads: sign-in and its sessions (the second factor and the enrolment
    /// an org's MFA requirement asks for, both behind a sign-in challenge), password reset, invitation accept, the SSO
    /// email-domain look-up (which changes nothing but its rate counter), and the health checks (which answer any method
    /// and change nothing). The SSO callback is a GET that may provision an account, but only for an identity an org's
    /// own provider vouched for (SsoSignInTests); so may the SAML assertion consumer service, a POST by the HTTP-POST
    /// binding, only for an assertion signed by the connection's own IdP (SamlIdpSignInTests).
    /// </summary>
    private static readonly string[] AnonymousWrites =
    [
        "* /health", "* /alive",
        "POST /v1/auth/login", "POST /v1/auth/refresh", "POST /v1/auth/logout",
        "POST /v1/auth/login/mfa", "POST /v1/auth/login/mfa/enroll", "POST /v1/auth/login/mfa/enroll/confirm",
        "POST /v1/auth/password-reset", "POST /v1/auth/password-reset/confirm", "POST /v1/invitations/accept",
        "POST /v1/auth/sso/discover", "POST /v1/auth/sso/saml/{connection_id}/acs",
    ];

    [Fact]
    public void The_only_anonymous_routes_that_change_anything_are_sign_in_password_reset_and_invitation_accept()
    {
        var writes = cp.AnonymousRoutes().Where(r => !r.StartsWith("GET ", StringComparison.Ordinal) && !r.StartsWith("HEAD ", StringComparison.Ordinal));
        Assert.Equal(AnonymousWrites.Order(StringComparer.Ordinal), writes.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/v1/auth/signup")]
    [InlineData("/v1/auth/sign-up")]
    [InlineData("/v1/auth/register")]
    [InlineData("/v1/signup")]
    [InlineData("/v1/register")]
    [InlineData("/v1/users")]
    [InlineData("/v1/accounts")]
    [InlineData("/v1/orgs")]
    [InlineData("/signup")]
    [InlineData("/api/auth/signup")]
    [InlineData("/api/public/users")]
    public async Task Posting_an_account_to_a_sign_up_route_is_refused_and_creates_nothing(string route)
    {
        var (users, orgs) = await CountsAsync();
        var email = $"signup-{Guid.NewGuid():N}@example.com";

        using var response = await cp.Anonymous().PostJsonAsync(route, new { email, password = "a long enough password 123", name = "Eve", org_name = "Eve Inc" });

        Assert.False(response.IsSuccessStatusCode, $"{route} answered {(int)response.StatusCode}");
        Assert.Equal((users, orgs), await CountsAsync());
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = @email", new { email }));
    }

    [Fact]
    public async Task Signing_in_with_an_unknown_email_does_not_create_an_account()
    {
        var (users, orgs) = await CountsAsync();
        using var response = await cp.Anonymous().PostJsonAsync("/v1/auth/login", new { email = $"new-{Guid.NewGuid():N}@example.com", password = "a long enough password 123" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal((users, orgs), await CountsAsync());
    }

    [Theory]
    [InlineData("""{"name":"Eve","password":"a long enough password 123"}""", "token")]
    [InlineData("""{"token":"","name":"Eve","password":"a long enough password 123"}""", "token")]
    [InlineData("""{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","name":"Eve","password":"a long enough password 123"}""", "token")]
    [InlineData("""{"token":null,"name":"Eve","password":"a long enough password 123"}""", "token")]
    [InlineData("""{"email":"eve@example.com","name":"Eve","password":"a long enough password 123"}""", "email")]
    [InlineData("""{"token":"x","email":"eve@example.com","name":"Eve","password":"a long enough password 123","role":"owner"}""", "email")]
    public async Task Accepting_without_a_valid_invitation_token_is_a_400_and_creates_no_account(string json, string field)
    {
        // A pending invitation exists, so a refusal cannot come from there being nothing to accept.
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = "eve@example.com", role = "admin" })).EnsureSuccessStatusCode();
        var (users, orgs) = await CountsAsync();
        var members = await cp.ScalarAsync<long>("SELECT count(*) FROM org_members WHERE org_id = @o", new { o = org.OrgId });

        await (await cp.Anonymous().SendRawAsync(HttpMethod.Post, "/v1/invitations/accept", json)).ProblemAsync(400, field);

        Assert.Equal((users, orgs), await CountsAsync());
        Assert.Equal(members, await cp.ScalarAsync<long>("SELECT count(*) FROM org_members WHERE org_id = @o", new { o = org.OrgId }));
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = 'eve@example.com'"));
    }

    private async Task<(long Users, long Orgs)> CountsAsync() =>
        (await cp.ScalarAsync<long>("SELECT count(*) FROM users"), await cp.ScalarAsync<long>("SELECT count(*) FROM orgs"));
}
