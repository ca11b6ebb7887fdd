using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>Configuration section <c>Auth:Login</c>: failed sign-ins allowed before a lockout (OWASP's account and IP throttling).</summary>
public sealed class LoginLimitOptions
{
    public const string Section = "Auth:Login";

    /// <summary>Failures for one email (whether or not it has an account) within <see cref="Window"/> that lock it.</summary>
    public int MaxFailuresPerAccount { get; set; } = 5;

    /// <summary>Failures from one client address (an IPv6 /64) within <see cref="Window"/> that lock it.</summary>
    public int MaxFailuresPerIp { get; set; } = 30;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan Lockout { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>Configuration section <c>Auth:Sessions</c>: refresh tokens.</summary>
public sealed class SessionOptions
{
    public const string Section = "Auth:Sessions";

    /// <summary>A refresh token unused this long ends its session (each refresh starts the period again).</summary>
    public TimeSpan RefreshLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>No session outlives this, however often it is refreshed: the user signs in again.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(90);
}

/// <summary>Configuration section <c>Auth:PasswordReset</c>.</summary>
public sealed class PasswordResetOptions
{
    public const string Section = "Auth:PasswordReset";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Reset requests for one email within <see cref="Window"/> (so nobody floods a mailbox).</summary>
    public int MaxRequestsPerEmail { get; set; } = 3;

    public int MaxRequestsPerIp { get; set; } = 20;

    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Where users open the reset link (the web UI), from <c>ControlPlane:PublicUrl</c>. Never taken from the request's
    /// Host header: a forged one would mail the victim a link to the attacker's site carrying their token.
    /// </summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:3000";

    /// <summary>The page of <see cref="PublicUrl"/> that takes the token.</summary>
    public string ResetPath { get; set; } = "/reset-password";
}

internal sealed class AccountOptionsValidator :
    IValidateOptions<LoginLimitOptions>, IValidateOptions<SessionOptions>, IValidateOptions<PasswordResetOptions>
{
    public ValidateOptionsResult Validate(string? name, LoginLimitOptions options) =>
        options.MaxFailuresPerAccount < 1 || options.MaxFailuresPerIp < 1 || options.Window <= TimeSpan.Zero || options.Lockout <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Auth:Login: MaxFailuresPerAccount and MaxFailuresPerIp must be at least 1, Window and Lockout positive.")
            : ValidateOptionsResult.Success;

    public ValidateOptionsResult Validate(string? name, SessionOptions options) =>
        options.RefreshLifetime <= TimeSpan.Zero || options.MaxLifetime < options.RefreshLifetime
            ? ValidateOptionsResult.Fail("Auth:Sessions: RefreshLifetime must be positive and MaxLifetime at least RefreshLifetime.")
            : ValidateOptionsResult.Success;

    public ValidateOptionsResult Validate(string? name, PasswordResetOptions options) =>
        options.TokenLifetime <= TimeSpan.Zero || options.MaxRequestsPerEmail < 1 || options.MaxRequestsPerIp < 1 || options.Window <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Auth:PasswordReset: TokenLifetime and Window must be positive, the request limits at least 1.")
        : !Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            ? ValidateOptionsResult.Fail("ControlPlane:PublicUrl must be an absolute http(s) URL (where the web UI is served).")
        : ValidateOptionsResult.Success;
}
