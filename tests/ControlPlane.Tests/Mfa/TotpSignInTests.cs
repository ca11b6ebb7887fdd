using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Tests.Tenancy;

namespace HoneyHive.ControlPlane.Tests.Mfa;

/// <summary>
/// TOTP enrolment (secret, otpauth:// URI and QR code, confirmed by a first code), the sign-in challenge it adds after the
/// password, the replay guard, the ±1 step tolerance, attempt limits, recovery codes and turning MFA off.
/// </summary>
public sealed class TotpSignInTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    [Fact]
    public async Task Enrolment_returns_the_secret_its_otpauth_uri_and_a_png_qr_code_and_a_first_valid_code_confirms_it()
    {
        var user = await cp.CreateUserAsync();
        var session = await cp.LoginAsync(user);
        using var client = cp.Client(bearer: session.AccessToken);

        using var startResponse = await client.PostAsync("/v1/auth/mfa/totp", null);
        var started = await MfaSteps.Ok(startResponse);
        Assert.Equal("no-store", startResponse.Headers.CacheControl?.ToString());
        var secret = started["secret"]!.GetValue<string>();
        var uri = new Uri(started["otpauth_uri"]!.GetValue<string>());
        Assert.Equal(("otpauth", "totp"), (uri.Scheme, uri.Host));
        Assert.Contains($"HoneyHive:{user.Email}", Uri.UnescapeDataString(uri.AbsolutePath), StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        Assert.Equal((secret, "HoneyHive", "6", "30"), (query["secret"], query["issuer"], query["digits"], query["period"]));
        var qr = started["qr_code"]!.GetValue<string>();
        Assert.StartsWith("data:image/png;base64,", qr, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, Convert.FromBase64String(qr["data:image/png;base64,".Length..])[..4]);
        Assert.Equal((false, true), await StateAsync(client));

        // A wrong first code does not confirm it.
        await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/mfa/totp/confirm", new { code = Other(cp.Code(secret)) }), HttpStatusCode.Unauthorized);
        Assert.Equal((false, true), await StateAsync(client));

        var confirmed = await MfaSteps.Ok(await client.PostAsJsonAsync("/v1/auth/mfa/totp/confirm", new { code = cp.Code(secret) }));
        var codes = confirmed["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$", c));
        Assert.Equal((true, false), await StateAsync(client));
        var status = await MfaSteps.Ok(await client.GetAsync("/v1/auth/mfa"));
        Assert.Equal(10, status["recovery_codes_remaining"]!.GetValue<int>());
        Assert.DoesNotContain(secret, status.ToJsonString(), StringComparison.Ordinal);

        // A confirmed authenticator is not replaced by starting again (a stolen session must turn it off first, with a code).
        await MfaSteps.ProblemAsync(await client.PostAsync("/v1/auth/mfa/totp", null), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_secret_is_stored_sealed_and_recovery_codes_as_hashes_and_neither_is_logged_or_audited()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));

        await using var connection = await cp.Database.OpenConnectionAsync();
        var stored = await connection.ExecuteScalarAsync<string>("SELECT totp_secret_sealed FROM user_mfa WHERE user_id = @Id", user);
        Assert.StartsWith("v1.", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(authenticator.Secret, stored, StringComparison.Ordinal);
        var everything = await connection.ExecuteScalarAsync<string>(
            """
            SELECT concat((SELECT string_agg(row_to_json(c)::text, ' ') FROM mfa_recovery_codes c WHERE user_id = @Id),
                          (SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_log a WHERE actor_id = @Id::text))
            """, user);
        Assert.Contains("user.mfa_enabled", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(authenticator.Secret, everything, StringComparison.Ordinal);
        Assert.All(authenticator.RecoveryCodes, c => Assert.DoesNotContain(c.Replace("-", ""), everything, StringComparison.Ordinal));
        Assert.All(cp.Logs.Lines, line => Assert.DoesNotContain(authenticator.Secret, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_password_sign_in_of_an_enrolled_user_answers_a_challenge_and_only_its_code_makes_a_session()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));

        var challenge = await cp.ChallengeAsync(user.Email, user.Password);

        // The challenge is no session: it opens no signed-in route.
        using (var withChallenge = cp.Client(bearer: challenge))
            Assert.Equal(HttpStatusCode.Unauthorized, (await withChallenge.GetAsync("/v1/auth/me")).StatusCode);
        using var finished = await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret));
        var tokens = await MfaSteps.Ok(finished);
        Assert.NotNull(ControlPlaneApp.RefreshCookie(finished));
        var access = tokens["access_token"]!.GetValue<string>();
        Assert.Equal(user.Id.ToString(), ControlPlaneApp.Payload(access).GetProperty("sub").GetString());
        Assert.Equal("mfa", await cp.MethodOfSessionAsync(access));
        using var me = await cp.Client(bearer: access).GetAsync("/v1/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        // The challenge was spent by that exchange.
        cp.NextStep();
        await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_same_code_is_refused_the_second_time_and_the_next_steps_code_works()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));
        var code = cp.Code(authenticator.Secret);
        await MfaSteps.Ok(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), code: code));

        // Replayed within its own time step, on a fresh challenge: refused.
        var second = await cp.ChallengeAsync(user.Email, user.Password);
        var refusal = await MfaSteps.ProblemAsync(await cp.FinishAsync(second, code: code), HttpStatusCode.Unauthorized);
        Assert.Contains("already used", refusal, StringComparison.Ordinal);

        cp.NextStep();
        await MfaSteps.Ok(await cp.FinishAsync(second, code: cp.Code(authenticator.Secret)));
    }

    [Fact]
    public async Task Codes_of_one_step_either_side_are_accepted_and_two_steps_away_refused()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));
        cp.NextStep();
        cp.NextStep();

        // Two steps behind, and two ahead: outside the tolerance.
        var challenge = await cp.ChallengeAsync(user.Email, user.Password);
        await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret, -2)), HttpStatusCode.Unauthorized);
        await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret, +2)), HttpStatusCode.Unauthorized);
        // A phone 30 s slow.
        await MfaSteps.Ok(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret, -1)));
        // A phone 30 s fast: the next step, not used yet.
        await MfaSteps.Ok(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), code: cp.Code(authenticator.Secret, +1)));
        // Now the current step is behind the last one used: its code no longer works either (a code works once, and none older).
        await MfaSteps.ProblemAsync(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), code: cp.Code(authenticator.Secret)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Five_wrong_codes_lock_second_factor_attempts_with_429_even_for_the_right_code()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));
        var challenge = await cp.ChallengeAsync(user.Email, user.Password);
        var wrong = Other(cp.Code(authenticator.Secret));

        for (var i = 0; i < 5; i++)
            await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, code: wrong), HttpStatusCode.Unauthorized);

        using var locked = await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret));
        await MfaSteps.ProblemAsync(locked, HttpStatusCode.TooManyRequests);
        Assert.NotNull(locked.Headers.RetryAfter);
        // Recovery codes are held to the same count: guessing cannot move from one to the other.
        await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, recoveryCode: authenticator.RecoveryCodes[0]), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task A_recovery_code_finishes_a_sign_in_once_and_is_refused_after()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));
        var code = authenticator.RecoveryCodes[3];

        var tokens = await MfaSteps.Ok(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), recoveryCode: code.ToUpperInvariant()));
        using var status = cp.Client(bearer: tokens["access_token"]!.GetValue<string>());
        Assert.Equal(9, (await MfaSteps.Ok(await status.GetAsync("/v1/auth/mfa")))["recovery_codes_remaining"]!.GetValue<int>());

        await MfaSteps.ProblemAsync(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), recoveryCode: code), HttpStatusCode.Unauthorized);
        // Another user's code opens nothing here either.
        var other = await cp.EnrolAsync(await cp.LoginAsync(await cp.CreateUserAsync()));
        await MfaSteps.ProblemAsync(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), recoveryCode: other.RecoveryCodes[0]), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Regenerating_recovery_codes_needs_a_current_code_and_retires_the_old_ones()
    {
        var user = await cp.CreateUserAsync();
        var session = await cp.LoginAsync(user);
        var authenticator = await cp.EnrolAsync(session);
        using var client = cp.Client(bearer: session.AccessToken);

        await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/mfa/recovery_codes", new { code = Other(cp.Code(authenticator.Secret)) }), HttpStatusCode.Unauthorized);
        var fresh = (await MfaSteps.Ok(await client.PostAsJsonAsync("/v1/auth/mfa/recovery_codes", new { code = cp.Code(authenticator.Secret) })))["recovery_codes"]!
            .AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Empty(fresh.Intersect(authenticator.RecoveryCodes));

        await MfaSteps.ProblemAsync(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), recoveryCode: authenticator.RecoveryCodes[0]), HttpStatusCode.Unauthorized);
        await MfaSteps.Ok(await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), recoveryCode: fresh[0]));
    }

    [Fact]
    public async Task Turning_mfa_off_needs_a_code_or_the_password_and_then_the_password_alone_signs_in()
    {
        var user = await cp.CreateUserAsync();
        var session = await cp.LoginAsync(user);
        var authenticator = await cp.EnrolAsync(session);
        using var client = cp.Client(bearer: session.AccessToken);

        await (await client.PostAsJsonAsync("/v1/auth/mfa/disable", new { })).ProblemAsync(400, "code");
        await (await client.PostAsJsonAsync("/v1/auth/mfa/disable", new { password = "not-the-password-1" })).ProblemAsync(400, "password");
        await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/mfa/disable", new { code = Other(cp.Code(authenticator.Secret)) }), HttpStatusCode.Unauthorized);
        Assert.Equal((true, false), await StateAsync(client));

        using var disabled = await client.PostAsJsonAsync("/v1/auth/mfa/disable", new { code = cp.Code(authenticator.Secret) });
        Assert.Equal(HttpStatusCode.NoContent, disabled.StatusCode);
        Assert.Equal((false, false), await StateAsync(client));
        var signedIn = await cp.LoginAsync(user);
        Assert.Equal("password", await cp.MethodOfSessionAsync(signedIn.AccessToken));
        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @Id", user));
    }

    [Fact]
    public async Task A_challenge_expires_and_one_kind_does_not_open_the_others_routes()
    {
        var user = await cp.CreateUserAsync();
        var authenticator = await cp.EnrolAsync(await cp.LoginAsync(user));
        var challenge = await cp.ChallengeAsync(user.Email, user.Password);

        // An mfa challenge cannot start an enrolment (that would replace the authenticator the password alone does not own).
        using (var client = cp.Client())
            await MfaSteps.ProblemAsync(await client.PostAsJsonAsync("/v1/auth/login/mfa/enroll", new { challenge_token = challenge }), HttpStatusCode.Unauthorized);

        cp.Clock.Advance(TimeSpan.FromMinutes(6));
        var refusal = await MfaSteps.ProblemAsync(await cp.FinishAsync(challenge, code: cp.Code(authenticator.Secret)), HttpStatusCode.Unauthorized);
        Assert.Contains("challenge", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("abcdef")]
    [InlineData("1234567")]
    public async Task A_code_that_is_not_six_digits_is_400_naming_code(string code)
    {
        var user = await cp.CreateUserAsync();
        await cp.EnrolAsync(await cp.LoginAsync(user));
        await (await cp.FinishAsync(await cp.ChallengeAsync(user.Email, user.Password), code: code)).ProblemAsync(400, "code");
    }

    private static async Task<(bool Enabled, bool Pending)> StateAsync(HttpClient client)
    {
        var status = await MfaSteps.Ok(await client.GetAsync("/v1/auth/mfa"));
        return (status["enabled"]!.GetValue<bool>(), status["pending"]!.GetValue<bool>());
    }

    /// <summary>A six-digit code that is not <paramref name="code"/>.</summary>
    private static string Other(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
