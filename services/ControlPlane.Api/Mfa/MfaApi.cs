using System.Text.Json.Serialization;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Mfa;

/// <summary>What enrolment shows once: the secret (for typing in), the otpauth:// URI and its QR code as a PNG data URI.</summary>
public sealed record MfaEnrollment(
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("otpauth_uri")] string OtpauthUri,
    [property: JsonPropertyName("qr_code")] string QrCode);

public sealed record RecoveryCodes([property: JsonPropertyName("recovery_codes")] IReadOnlyList<string> Codes);

public sealed record MfaRequiredBy([property: JsonPropertyName("id")] Guid Id, [property: JsonPropertyName("name")] string Name);

public sealed record MfaStatus(
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("pending")] bool Pending,
    [property: JsonPropertyName("confirmed_at")] DateTimeOffset? ConfirmedAt,
    [property: JsonPropertyName("recovery_codes_remaining")] int RecoveryCodesRemaining,
    [property: JsonPropertyName("required_by")] IReadOnlyList<MfaRequiredBy> RequiredBy);

/// <summary>A sign-in finished by setting up MFA: the tokens, and the recovery codes shown this once.</summary>
public sealed record EnrolledSignIn(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("recovery_codes")] IReadOnlyList<string> RecoveryCodes,
    [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken = null,
    [property: JsonPropertyName("refresh_expires_at"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RefreshExpiresAt = null);

// Request bodies, for the OpenAPI document; handlers read them field by field (AuthBody) to name each wrong field.
public sealed record MfaSignInRequest(
    [property: JsonPropertyName("challenge_token")] string ChallengeToken,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("recovery_code")] string? RecoveryCode = null,
    [property: JsonPropertyName("return_refresh_token")] bool? ReturnRefreshToken = null);

public sealed record MfaCodeRequest([property: JsonPropertyName("code")] string Code);

public sealed record MfaDisableRequest(
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("recovery_code")] string? RecoveryCode = null,
    [property: JsonPropertyName("password")] string? Password = null);

/// <summary>
/// TOTP multi-factor authentication. Signed in: status, enrolment (secret, URI and QR code, then a first code to
/// confirm, which answers the recovery codes once), new recovery codes (a current code), turning it off (a code, a
/// recovery code or the password). Signing in: a password sign-in that answered a challenge is finished here with a
/// code or a recovery code, or, when an org requires MFA the user lacks, by enrolling. Every code is held to attempt
/// limits per user and per address; a TOTP code works once (its time step is spent), a recovery code once.
/// </summary>
public static class MfaApi
{
    private const string Json = "application/json";
    private const int MaxChallengeLength = 128;
    private const int MaxCodeLength = 64;

    private static readonly string[] SignInFields = ["challenge_token", "code", "recovery_code", "return_refresh_token"];
    private static readonly string[] EnrollFields = ["challenge_token"];
    private static readonly string[] EnrollConfirmFields = ["challenge_token", "code", "return_refresh_token"];
    private static readonly string[] CodeFields = ["code"];
    private static readonly string[] DisableFields = ["code", "recovery_code", "password"];

    public static void Map(RouteGroupBuilder open, RouteGroupBuilder signedIn)
    {
        open.MapPost("/login/mfa", SignInWithCodeAsync).Accepts<MfaSignInRequest>(Json);
        open.MapPost("/login/mfa/enroll", BeginSignInEnrollmentAsync).Accepts<MfaSignInRequest>(Json);
        open.MapPost("/login/mfa/enroll/confirm", ConfirmSignInEnrollmentAsync).Accepts<MfaSignInRequest>(Json);

        signedIn.MapGet("/mfa", StatusAsync);
        signedIn.MapPost("/mfa/totp", BeginEnrollmentAsync);
        signedIn.MapPost("/mfa/totp/confirm", ConfirmEnrollmentAsync).Accepts<MfaCodeRequest>(Json);
        signedIn.MapPost("/mfa/recovery_codes", RegenerateRecoveryCodesAsync).Accepts<MfaCodeRequest>(Json);
        signedIn.MapPost("/mfa/disable", DisableAsync).Accepts<MfaDisableRequest>(Json);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> SignInWithCodeAsync(
        HttpContext context, SignInChallenges challenges, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, SignInFields, cancellationToken);
        var token = body.String("challenge_token", required: true, MaxChallengeLength);
        var code = body.String("code", required: false, MaxCodeLength);
        var recovery = body.String("recovery_code", required: false, MaxCodeLength);
        var refreshInBody = body.Bool("return_refresh_token");
        body.ThrowIfInvalid();
        var factor = SecondFactor.Of(code, recovery);

        var challenge = await challenges.FindAsync(token!, ChallengeKinds.Mfa, cancellationToken);
        if (challenge is null) return ChallengeGone();
        if (await VerifyAsync(context, challenge.UserId, factor, mfa, limiter, signIn, cancellationToken) is { } refused) return refused;
        if (!await challenges.SpendAsync(token!, cancellationToken)) return ChallengeGone();

        var done = await signIn.CompleteAsync(challenge.UserId, challenge.Email, SessionMethods.Mfa, challenge.BreakGlassOrgs,
            AuthApi.UserAgent(context), AuthApi.ClientAddress(context), cancellationToken);
        return TypedResults.Ok(AuthApi.Answer(context, done.Access, done.Refresh, refreshInBody));
    }

    private static async Task<Results<Ok<MfaEnrollment>, ProblemHttpResult>> BeginSignInEnrollmentAsync(
        HttpContext context, SignInChallenges challenges, MfaStore mfa, IOptions<MfaOptions> options, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, EnrollFields, cancellationToken);
        var token = body.String("challenge_token", required: true, MaxChallengeLength);
        body.ThrowIfInvalid();
        var challenge = await challenges.FindAsync(token!, ChallengeKinds.MfaEnrollment, cancellationToken);
        if (challenge is null) return ChallengeGone();
        return TypedResults.Ok(await BeginAsync(context, mfa, options.Value, challenge.UserId, challenge.Email, cancellationToken));
    }

    private static async Task<Results<Ok<EnrolledSignIn>, ProblemHttpResult>> ConfirmSignInEnrollmentAsync(
        HttpContext context, SignInChallenges challenges, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, EnrollConfirmFields, cancellationToken);
        var token = body.String("challenge_token", required: true, MaxChallengeLength);
        var code = body.String("code", required: true, MaxCodeLength);
        var refreshInBody = body.Bool("return_refresh_token");
        body.ThrowIfInvalid();
        var totp = SecondFactor.Totp(code!);

        var challenge = await challenges.FindAsync(token!, ChallengeKinds.MfaEnrollment, cancellationToken);
        if (challenge is null) return ChallengeGone();
        var (codes, refused) = await ConfirmAsync(context, challenge.UserId, totp, mfa, limiter, signIn, cancellationToken);
        if (refused is not null) return refused;
        if (!await challenges.SpendAsync(token!, cancellationToken)) return ChallengeGone();

        var done = await signIn.CompleteAsync(challenge.UserId, challenge.Email, SessionMethods.Mfa, challenge.BreakGlassOrgs,
            AuthApi.UserAgent(context), AuthApi.ClientAddress(context), cancellationToken);
        var answer = AuthApi.Answer(context, done.Access, done.Refresh, refreshInBody);
        return TypedResults.Ok(new EnrolledSignIn(answer.AccessToken, answer.TokenType, answer.ExpiresIn, codes!, answer.RefreshToken, answer.RefreshExpiresAt));
    }

    private static async Task<Ok<MfaStatus>> StatusAsync(HttpContext context, MfaStore mfa, SignInPolicy policy, CancellationToken cancellationToken)
    {
        var userId = AuthApi.RequireUser(context.User);
        var state = await mfa.StateAsync(userId, cancellationToken);
        var requiring = (await policy.OrgsOfAsync(userId, cancellationToken)).Where(o => o.RequireMfa).Select(o => new MfaRequiredBy(o.Id, o.Name)).ToList();
        return TypedResults.Ok(new MfaStatus(state.Enabled, state.Pending, state.ConfirmedAt, state.RecoveryCodesRemaining, requiring));
    }

    private static async Task<Ok<MfaEnrollment>> BeginEnrollmentAsync(
        HttpContext context, MfaStore mfa, UserAccounts users, IOptions<MfaOptions> options, CancellationToken cancellationToken)
    {
        var userId = AuthApi.RequireUser(context.User);
        var user = await users.FindAsync(userId, cancellationToken) ?? throw ApiRequestException.NotFound(null, "This account no longer exists.");
        return TypedResults.Ok(await BeginAsync(context, mfa, options.Value, userId, user.Email, cancellationToken));
    }

    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> ConfirmEnrollmentAsync(
        HttpContext context, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var userId = AuthApi.RequireUser(context.User);
        var totp = await ReadCodeAsync(context, cancellationToken);
        var (codes, refused) = await ConfirmAsync(context, userId, totp, mfa, limiter, signIn, cancellationToken);
        return refused is not null ? refused : TypedResults.Ok(new RecoveryCodes(codes!));
    }

    private static async Task<Results<Ok<RecoveryCodes>, ProblemHttpResult>> RegenerateRecoveryCodesAsync(
        HttpContext context, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var userId = AuthApi.RequireUser(context.User);
        var totp = await ReadCodeAsync(context, cancellationToken);
        if (!await mfa.IsEnabledAsync(userId, cancellationToken))
            throw ApiRequestException.Conflict(null, "Multi-factor authentication is not set up; set it up first (POST /v1/auth/mfa/totp).");
        if (await VerifyAsync(context, userId, totp, mfa, limiter, signIn, cancellationToken) is { } refused) return refused;
        var codes = await mfa.RegenerateRecoveryCodesAsync(userId, AuthApi.ClientAddress(context), cancellationToken)
            ?? throw ApiRequestException.Conflict(null, "Multi-factor authentication was turned off meanwhile.");
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RecoveryCodes(codes));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DisableAsync(
        HttpContext context, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, UserAccounts users, SignInPolicy policy, CancellationToken cancellationToken)
    {
        var userId = AuthApi.RequireUser(context.User);
        var body = await AuthBody.ReadAsync(context.Request, DisableFields, cancellationToken);
        var code = body.String("code", required: false, MaxCodeLength);
        var recovery = body.String("recovery_code", required: false, MaxCodeLength);
        var password = body.String("password", required: false, PasswordPolicy.MaximumLength);
        body.ThrowIfInvalid();
        if (new[] { code, recovery, password }.Count(v => v is not null) != 1)
            throw ApiRequestException.BadRequest("code", "Send one proof that it is you: code (from your authenticator app), recovery_code or password.");

        var state = await mfa.StateAsync(userId, cancellationToken);
        if (!state.Enabled && !state.Pending) throw ApiRequestException.Conflict(null, "Multi-factor authentication is not set up.");
        // GitHub's rule for orgs that require 2FA: a member cannot turn it off (they would be locked out at their next sign-in anyway).
        if (state.Enabled && SignInPolicy.MfaRequiredBy(await policy.OrgsOfAsync(userId, cancellationToken)) is { } requiring)
            throw ApiRequestException.Conflict(null, $"Org '{requiring.Name}' requires multi-factor authentication, so it cannot be turned off while you are a member.");

        if (password is not null)
        {
            var user = await users.FindAsync(userId, cancellationToken) ?? throw ApiRequestException.NotFound(null, "This account no longer exists.");
            var check = await signIn.CheckAsync(user, password, context.Connection.RemoteIpAddress);
            if (check.RetryAfter is { } wait) return AuthApi.TooManyAttempts(context, wait);
            if (check.User is null) throw ApiRequestException.BadRequest("password", "password is not correct.");
        }
        else if (await VerifyAsync(context, userId, SecondFactor.Of(code, recovery), mfa, limiter, signIn, cancellationToken) is { } refused)
        {
            return refused;
        }
        await mfa.DisableAsync(userId, AuthApi.ClientAddress(context), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<MfaEnrollment> BeginAsync(HttpContext context, MfaStore mfa, MfaOptions options, Guid userId, string email, CancellationToken cancellationToken)
    {
        var secret = await mfa.BeginEnrollmentAsync(userId, cancellationToken)
            ?? throw ApiRequestException.Conflict(null, "Multi-factor authentication is already set up; turn it off first to set up another authenticator.");
        var provisioning = TotpCodes.Provision(secret, options.Issuer, email);
        // The secret is in this answer and nowhere else: nothing between the client and us may keep it.
        context.Response.Headers.CacheControl = "no-store";
        return new MfaEnrollment(provisioning.Secret, provisioning.Uri, provisioning.QrCodePng);
    }

    /// <summary>Confirms the pending enrolment of <paramref name="userId"/> under the code limits: the recovery codes, or the refusal.</summary>
    private static async Task<(IReadOnlyList<string>? Codes, ProblemHttpResult? Refused)> ConfirmAsync(
        HttpContext context, Guid userId, SecondFactor totp, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var state = await mfa.StateAsync(userId, cancellationToken);
        if (state.Enabled) throw ApiRequestException.Conflict(null, "Multi-factor authentication is already set up.");
        if (!state.Pending) throw ApiRequestException.Conflict(null, "No authenticator is being set up; start with POST /v1/auth/mfa/totp.");
        var counters = signIn.SecondFactorCounters(userId, context.Connection.RemoteIpAddress);
        if (await limiter.LockedForAsync(counters) is { } wait) return (null, AuthApi.TooManyAttempts(context, wait));
        var codes = await mfa.ConfirmEnrollmentAsync(userId, totp.Code!, AuthApi.ClientAddress(context), cancellationToken);
        if (codes is null)
        {
            await limiter.RecordFailureAsync(counters);
            return (null, WrongCode());
        }
        await limiter.ClearAsync(counters[0]);
        context.Response.Headers.CacheControl = "no-store";
        return (codes, null);
    }

    /// <summary>Checks a TOTP or recovery code of <paramref name="userId"/> under the code limits; null when it is good (and now spent).</summary>
    private static async Task<ProblemHttpResult?> VerifyAsync(
        HttpContext context, Guid userId, SecondFactor factor, MfaStore mfa, AttemptLimiter limiter, SignIn signIn, CancellationToken cancellationToken)
    {
        var counters = signIn.SecondFactorCounters(userId, context.Connection.RemoteIpAddress);
        if (await limiter.LockedForAsync(counters) is { } wait) return AuthApi.TooManyAttempts(context, wait);
        var good = factor.Code is { } code
            ? await mfa.VerifyTotpAsync(userId, code, cancellationToken)
            : await mfa.UseRecoveryCodeAsync(userId, factor.RecoveryCode!, AuthApi.ClientAddress(context), cancellationToken);
        if (!good)
        {
            await limiter.RecordFailureAsync(counters);
            return WrongCode();
        }
        await limiter.ClearAsync(counters[0]);
        return null;
    }

    private static async Task<SecondFactor> ReadCodeAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, CodeFields, cancellationToken);
        var code = body.String("code", required: true, MaxCodeLength);
        body.ThrowIfInvalid();
        return SecondFactor.Totp(code!);
    }

    // One answer for a wrong, reused or expired code: which of them it was would help a guesser.
    private static ProblemHttpResult WrongCode() =>
        AuthApi.Unauthorized("The code is not correct or was already used; enter the current code from your authenticator app, or an unused recovery code.");

    private static ProblemHttpResult ChallengeGone() =>
        AuthApi.Unauthorized("The sign-in challenge is unknown, expired or already used; sign in with your password again.");

    /// <summary>A TOTP code (digits, spaces removed) or a recovery code, exactly one; 400 naming the field otherwise.</summary>
    private sealed record SecondFactor(string? Code, string? RecoveryCode)
    {
        public static SecondFactor Of(string? code, string? recovery)
        {
            if (code is null == recovery is null)
                throw ApiRequestException.BadRequest("code", "Send either code (the 6 digits of your authenticator app) or recovery_code, not both.");
            if (code is not null) return Totp(code);
            if (MfaStore.NormalizeRecoveryCode(recovery!) is null)
                throw ApiRequestException.BadRequest("recovery_code", "recovery_code must be one of the codes shown when MFA was set up (xxxx-xxxx-xxxx-xxxx).");
            return new SecondFactor(null, recovery);
        }

        public static SecondFactor Totp(string code)
        {
            var compact = code.Replace(" ", "", StringComparison.Ordinal);
            if (!TotpCodes.LooksLikeCode(compact))
                throw ApiRequestException.BadRequest("code", $"code must be the {TotpCodes.Digits} digits your authenticator app shows.");
            return new SecondFactor(compact, null);
        }
    }
}
