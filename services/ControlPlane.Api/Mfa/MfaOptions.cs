using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Mfa;

/// <summary>Configuration section <c>Auth:Mfa</c>.</summary>
public sealed class MfaOptions
{
    public const string Section = "Auth:Mfa";

    /// <summary>The issuer authenticator apps show beside the account (the otpauth:// label and issuer parameter).</summary>
    public string Issuer { get; set; } = "HoneyHive";

    /// <summary>How long a password sign-in waits for its second factor.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a password sign-in that must first set up an authenticator (the org requires MFA) stays open.</summary>
    public TimeSpan EnrollmentLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

internal sealed class MfaOptionsValidator : IValidateOptions<MfaOptions>
{
    public ValidateOptionsResult Validate(string? name, MfaOptions options) =>
        string.IsNullOrWhiteSpace(options.Issuer) || options.Issuer.Contains(':', StringComparison.Ordinal)
            ? ValidateOptionsResult.Fail("Auth:Mfa:Issuer must be a non-empty name without ':' (it is part of the otpauth:// label).")
        : options.ChallengeLifetime <= TimeSpan.Zero || options.EnrollmentLifetime <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Auth:Mfa: ChallengeLifetime and EnrollmentLifetime must be positive.")
        : ValidateOptionsResult.Success;
}
