using System.Net;
using System.Net.Http.Json;
using HoneyHive.ControlPlane.Api.Mfa;

namespace HoneyHive.ControlPlane.Tests.Mfa;

/// <summary>
/// An org that requires MFA: its members without it are enrolled at their next sign-in (the challenge opens enrolment
/// and nothing else), password-only sessions end at their next refresh, and members cannot turn MFA off.
/// </summary>
public sealed class RequireMfaTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    [Fact]
    public async Task A_member_without_mfa_is_enrolled_at_sign_in_and_gets_a_session_only_after_the_first_code()
    {
        var (org, _) = await cp.CreateOrgAsync("Acme " + Guid.NewGuid().ToString("N")[..6]);
        var (_, admin) = await cp.OwnerAsync(org);
        var member = await cp.CreateUserAsync(orgId: org);
        await cp.SetSecurityAsync(admin, org, new { require_mfa = true });

        using var client = cp.Client();
        using var login = await client.PostAsJsonAsync("/v1/auth/login", new { email = member.Email, password = member.Password });
        var challenge = await MfaSteps.Ok(login);
        Assert.Equal(ChallengeKinds.MfaEnrollment, challenge["challenge"]!.GetValue<string>());
        Assert.Contains("requires multi-factor authentication", challenge["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(ControlPlaneApp.RefreshCookie(login));
        var token = challenge["challenge_token"]!.GetValue<string>();

        // The enrolment challenge is not a session and does not finish a sign-in by itself.
        using (var bearer = cp.Client(bearer: token))
            Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/v1/auth/me")).StatusCode);
        await MfaSteps.ProblemAsync(await cp.FinishAsync(token, code: "123456"), HttpStatusCode.Unauthorized);

        var enrollment = await MfaSteps.Ok(await client.PostAsJsonAsync("/v1/auth/login/mfa/enroll", new { challenge_token = token }));
        var secret = enrollment["secret"]!.GetValue<string>();
        Assert.StartsWith("data:image/png;base64,", enrollment["qr_code"]!.GetValue<string>(), StringComparison.Ordinal);
        using var confirmed = await client.PostAsJsonAsync("/v1/auth/login/mfa/enroll/confirm", new { challenge_token = token, code = cp.Code(secret) });
        var session = await MfaSteps.Ok(confirmed);
        Assert.Equal(10, session["recovery_codes"]!.AsArray().Count);
        Assert.NotNull(ControlPlaneApp.RefreshCookie(confirmed));
        Assert.Equal("mfa", await cp.MethodOfSessionAsync(session["access_token"]!.GetValue<string>()));

        // From now on the password is followed by the code.
        cp.NextStep();
        var next = await cp.ChallengeAsync(member.Email, member.Password);
        await MfaSteps.Ok(await cp.FinishAsync(next, code: cp.Code(secret)));
    }

    [Fact]
    public async Task A_password_only_session_of_a_member_ends_at_its_next_refresh_once_the_org_requires_mfa()
    {
        var (org, _) = await cp.CreateOrgAsync("Refresh " + Guid.NewGuid().ToString("N")[..6]);
        var (_, admin) = await cp.OwnerAsync(org);
        var member = await cp.CreateUserAsync(orgId: org);
        var before = await cp.LoginAsync(member);
        await cp.SetSecurityAsync(admin, org, new { require_mfa = true });

        using var client = cp.Client();
        using var refresh = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", before.RefreshToken));
        var refusal = await MfaSteps.ProblemAsync(refresh, HttpStatusCode.Unauthorized);
        Assert.Contains("requires multi-factor authentication", refusal, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", ControlPlaneApp.SetCookie(refresh, "hh_refresh") ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_member_of_an_org_that_requires_mfa_cannot_turn_it_off_and_is_told_why()
    {
        var name = "Strict " + Guid.NewGuid().ToString("N")[..6];
        var (org, _) = await cp.CreateOrgAsync(name);
        var (_, admin) = await cp.OwnerAsync(org);
        var member = await cp.CreateUserAsync(orgId: org);
        var session = await cp.LoginAsync(member);
        var authenticator = await cp.EnrolAsync(session);
        await cp.SetSecurityAsync(admin, org, new { require_mfa = true });

        using var client = cp.Client(bearer: session.AccessToken);
        var status = await MfaSteps.Ok(await client.GetAsync("/v1/auth/mfa"));
        Assert.Equal(name, status["required_by"]![0]!["name"]!.GetValue<string>());
        var refusal = await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/mfa/disable", new { code = cp.Code(authenticator.Secret) }), HttpStatusCode.Conflict);
        Assert.Contains($"Org '{name}' requires multi-factor authentication", refusal, StringComparison.Ordinal);
        Assert.True((await MfaSteps.Ok(await client.GetAsync("/v1/auth/mfa")))["enabled"]!.GetValue<bool>());
    }
}
