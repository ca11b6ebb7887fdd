using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>What sign-in and refresh answer. <c>refresh_token</c> only when the client asked for it in the body (a CLI); browsers get the cookie.</summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken = null,
    [property: JsonPropertyName("refresh_expires_at"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RefreshExpiresAt = null);

public sealed record MeOrg([property: JsonPropertyName("id")] Guid Id, [property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("role")] string? Role);

public sealed record MeResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("orgs")] IReadOnlyList<MeOrg> Orgs,
    [property: JsonPropertyName("grants")] IReadOnlyList<Grant> Grants);

// The request bodies, for the OpenAPI document; handlers read bodies field by field (AuthBody) to name each wrong field.
public sealed record LoginRequest(
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("password")] string Password,
    [property: JsonPropertyName("return_refresh_token")] bool? ReturnRefreshToken = null);

public sealed record RefreshRequest([property: JsonPropertyName("refresh_token")] string? RefreshToken = null);

public sealed record PasswordChangeRequest(
    [property: JsonPropertyName("current_password")] string CurrentPassword,
    [property: JsonPropertyName("new_password")] string NewPassword);

public sealed record PasswordResetRequest([property: JsonPropertyName("email")] string Email);

public sealed record PasswordResetConfirmRequest(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("new_password")] string NewPassword);

public sealed record ResetRequested([property: JsonPropertyName("status")] string Status, [property: JsonPropertyName("detail")] string Detail);

/// <summary>
/// Sign-in with email and password, refresh-token rotation, sign-out (one session or all), the signed-in user,
/// password change and reset. There is no sign-up route: accounts come from invitations or the bootstrap.
/// </summary>
public static class AuthApi
{
    /// <summary>The refresh cookie: HttpOnly, SameSite=Strict, sent only to the sign-in routes.</summary>
    public const string RefreshCookie = "hh_refresh";

    public const string CookiePath = "/v1/auth";

    private const string Json = "application/json";
    private const int MaxEmailLength = 320;
    private const int MaxTokenLength = 128;

    private static readonly string[] LoginFields = ["email", "password", "return_refresh_token"];
    private static readonly string[] RefreshFields = ["refresh_token"];
    private static readonly string[] PasswordFields = ["current_password", "new_password"];
    private static readonly string[] ResetFields = ["email"];
    private static readonly string[] ConfirmFields = ["token", "new_password"];

    /// <summary>Maps the anonymous routes on <paramref name="group"/> and the signed-in ones on <paramref name="api"/>.</summary>
    public static void MapAuthApi(this IEndpointRouteBuilder group, IEndpointRouteBuilder api)
    {
        var open = group.MapGroup("/v1/auth").AllowAnonymous().WithTags("Auth");
        open.MapPost("/login", LoginAsync).Accepts<LoginRequest>(Json);
        open.MapPost("/refresh", RefreshAsync).Accepts<RefreshRequest>(isOptional: true, Json);
        open.MapPost("/logout", LogoutAsync).Accepts<RefreshRequest>(isOptional: true, Json);
        open.MapPost("/password-reset", RequestResetAsync).Accepts<PasswordResetRequest>(Json);
        open.MapPost("/password-reset/confirm", ConfirmResetAsync).Accepts<PasswordResetConfirmRequest>(Json);

        var signedIn = api.MapGroup("/v1/auth").WithTags("Auth");
        signedIn.MapGet("/me", MeAsync);
        signedIn.MapPost("/logout-all", LogoutAllAsync);
        signedIn.MapPost("/password", ChangePasswordAsync).Accepts<PasswordChangeRequest>(Json);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LoginAsync(
        HttpContext context, SignIn signIn, SessionStore sessions, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, LoginFields, cancellationToken);
        var email = body.String("email", required: true, MaxEmailLength);
        var password = body.String("password", required: true, PasswordPolicy.MaximumLength);
        var refreshInBody = body.Bool("return_refresh_token");
        body.ThrowIfInvalid();

        var check = await signIn.CheckAsync(email!, password!, context.Connection.RemoteIpAddress, cancellationToken);
        if (check.RetryAfter is { } wait) return TooManyAttempts(context, wait);
        // One answer for an unknown email, a wrong password and a disabled account.
        var user = check.User ?? throw new ApiRequestException(StatusCodes.Status401Unauthorized, null, "The email or password is not correct.");

        var refresh = await sessions.StartAsync(user.Id, UserAgent(context), ClientAddress(context), cancellationToken);
        var access = await signIn.AccessTokenAsync(user.Id, user.Email, refresh.SessionId, cancellationToken);
        return TypedResults.Ok(Answer(context, access, refresh, refreshInBody));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RefreshAsync(
        HttpContext context, SignIn signIn, SessionStore sessions, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, RefreshFields, cancellationToken);
        var fromBody = body.String("refresh_token", required: false, MaxTokenLength);
        body.ThrowIfInvalid();
        var presented = fromBody ?? context.Request.Cookies[RefreshCookie];
        if (string.IsNullOrEmpty(presented))
            return Unauthorized($"No refresh token: send the {RefreshCookie} cookie or {{\"refresh_token\": ...}}.");

        var rotated = await sessions.RotateAsync(presented, UserAgent(context), ClientAddress(context), cancellationToken);
        if (rotated is null)
        {
            if (fromBody is null) ClearCookie(context);
            return Unauthorized("The refresh token is unknown, expired, revoked or already used; sign in again.");
        }
        var access = await signIn.AccessTokenAsync(rotated.UserId, rotated.Email, rotated.Next.SessionId, cancellationToken);
        return TypedResults.Ok(Answer(context, access, rotated.Next, refreshInBody: fromBody is not null));
    }

    /// <summary>Ends the session of the refresh token (cookie or body), or else of the access token presented; always 204.</summary>
    private static async Task<NoContent> LogoutAsync(HttpContext context, SessionStore sessions, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, RefreshFields, cancellationToken);
        var fromBody = body.String("refresh_token", required: false, MaxTokenLength);
        body.ThrowIfInvalid();
        var presented = fromBody ?? context.Request.Cookies[RefreshCookie];

        (Guid SessionId, Guid UserId)? session = presented is { Length: > 0 } ? await sessions.SessionOfAsync(presented, cancellationToken) : null;
        if (session is null)
        {
            // This route is anonymous (a refresh token alone may end its session), so the CP scheme is asked explicitly.
            var result = await context.AuthenticateAsync(ControlPlaneAuthenticationHandler.SchemeName);
            if (result.Succeeded && result.Principal.UserIdOf() is { } userId
                && Guid.TryParse(result.Principal.FindFirstValue(AccessTokenClaims.Session), out var sid))
                session = (sid, userId);
        }
        if (session is { } s) await sessions.RevokeAsync(s.SessionId, s.UserId, cancellationToken);
        ClearCookie(context);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> LogoutAllAsync(HttpContext context, SessionStore sessions, CancellationToken cancellationToken)
    {
        var userId = RequireUser(context.User);
        await sessions.RevokeAllAsync(userId, except: null, null, null, cancellationToken);
        ClearCookie(context);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<MeResponse>> MeAsync(ClaimsPrincipal principal, UserAccounts users, GrantResolver grants, CancellationToken cancellationToken)
    {
        var userId = RequireUser(principal);
        var user = await users.FindAsync(userId, cancellationToken)
            ?? throw ApiRequestException.NotFound(null, "This account no longer exists.");
        var orgs = await users.OrgsOfAsync(userId, cancellationToken);
        return TypedResults.Ok(new MeResponse(user.Id, user.Email, user.Name, [.. orgs.Select(o => new MeOrg(o.Id, o.Name, o.Role))],
            await grants.ForUserAsync(userId, cancellationToken)));
    }

    /// <summary>Checks the current password (under the sign-in limits), sets the new one and ends every other session.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ChangePasswordAsync(
        HttpContext context, SignIn signIn, UserAccounts users, SessionStore sessions, TimeProvider clock,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var userId = RequireUser(context.User);
        var body = await AuthBody.ReadAsync(context.Request, PasswordFields, cancellationToken);
        var current = body.String("current_password", required: true, PasswordPolicy.MaximumLength);
        var next = body.String("new_password", required: false, int.MaxValue);
        body.ThrowIfInvalid();
        PasswordPolicy.Validate(next, "new_password");

        var user = await users.FindAsync(userId, cancellationToken) ?? throw ApiRequestException.NotFound(null, "This account no longer exists.");
        var check = await signIn.CheckAsync(user, current!, context.Connection.RemoteIpAddress);
        if (check.RetryAfter is { } wait) return TooManyAttempts(context, wait);
        if (check.User is null) throw ApiRequestException.BadRequest("current_password", "current_password is not correct.");
        if (string.Equals(current, next, StringComparison.Ordinal))
            throw ApiRequestException.BadRequest("new_password", "new_password must differ from current_password.");

        Guid? thisSession = Guid.TryParse(context.User.FindFirstValue(AccessTokenClaims.Session), out var sid) ? sid : null;
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await UserAccounts.SetPasswordAsync(connection, transaction, userId, next!, "user.password_changed", clock.GetUtcNow(), ClientAddress(context), cancellationToken);
        await sessions.RevokeAllAsync(userId, except: thisSession, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Always the same 202 (an account or not); the mail, when there is an account, is sent in the background.</summary>
    private static async Task<Results<Accepted<ResetRequested>, ProblemHttpResult>> RequestResetAsync(
        HttpContext context, AttemptLimiter limiter, PasswordResetMailer mailer, IOptions<PasswordResetOptions> options, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, ResetFields, cancellationToken);
        var email = body.String("email", required: true, MaxEmailLength);
        body.ThrowIfInvalid();
        if (!email!.Contains('@', StringComparison.Ordinal)) throw ApiRequestException.BadRequest("email", "email must be an email address.");

        var limits = options.Value;
        AttemptCounter[] counters =
        [
            new("reset", "account", AttemptLimiter.AccountSubject(email), limits.MaxRequestsPerEmail, limits.Window, limits.Window),
            new("reset", "ip", AttemptLimiter.AddressSubject(context.Connection.RemoteIpAddress), limits.MaxRequestsPerIp, limits.Window, limits.Window),
        ];
        if (await limiter.LockedForAsync(counters) is { } wait) return TooManyAttempts(context, wait);
        await limiter.RecordFailureAsync(counters);
        mailer.Enqueue(AttemptLimiter.AccountSubject(email));
        return TypedResults.Accepted((string?)null,
            new ResetRequested("accepted", "If an account uses this email, a link to set a new password is on its way; it works once, for a limited time."));
    }

    private static async Task<NoContent> ConfirmResetAsync(HttpContext context, PasswordResets resets, SignIn signIn, CancellationToken cancellationToken)
    {
        var body = await AuthBody.ReadAsync(context.Request, ConfirmFields, cancellationToken);
        var token = body.String("token", required: true, MaxTokenLength);
        var next = body.String("new_password", required: false, int.MaxValue);
        body.ThrowIfInvalid();
        PasswordPolicy.Validate(next, "new_password");

        var completed = await resets.CompleteAsync(token!, next!, ClientAddress(context), cancellationToken)
            ?? throw ApiRequestException.BadRequest("token", "The reset token is unknown, expired or already used; ask for a new reset link.");
        // Resetting proved control of the mailbox: failed guesses counted against the account no longer hold it locked.
        await signIn.ClearAsync(completed.Email);
        return TypedResults.NoContent();
    }

    private static TokenResponse Answer(HttpContext context, IssuedAccessToken access, RefreshToken refresh, bool refreshInBody)
    {
        // Tokens must not be cached by anything between the client and us (RFC 6749 5.1).
        context.Response.Headers.CacheControl = "no-store";
        if (refreshInBody) return new TokenResponse(access.Token, "Bearer", access.ExpiresIn, refresh.Value, refresh.ExpiresAt);
        SetRefreshCookie(context, refresh);
        return new TokenResponse(access.Token, "Bearer", access.ExpiresIn);
    }

    /// <summary>Hands a browser its session: the refresh cookie (sign-in here, or the end of an SSO redirect flow).</summary>
    internal static void SetRefreshCookie(HttpContext context, RefreshToken refresh) =>
        context.Response.Cookies.Append(RefreshCookie, refresh.Value, CookieOptions(context, refresh.ExpiresAt));

    private static CookieOptions CookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = CookiePath,
        Expires = expires,
        IsEssential = true,
    };

    private static void ClearCookie(HttpContext context) => context.Response.Cookies.Delete(RefreshCookie, CookieOptions(context, null));

    private static ProblemHttpResult TooManyAttempts(HttpContext context, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
            detail: $"Too many attempts; try again in {seconds} seconds.");
    }

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);

    /// <summary>The signed-in user; API keys have no account, password or session of their own.</summary>
    private static Guid RequireUser(ClaimsPrincipal principal) =>
        principal.UserIdOf() ?? throw ApiRequestException.Forbidden(null, "This route is for signed-in users (an access token from POST /v1/auth/login), not API keys.");

    private static string? UserAgent(HttpContext context) => context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;

    private static string? ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
