using HoneyHive.Platform.Security;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Tokens;

/// <summary>
/// Configuration section <c>ControlPlane</c>: the control plane's own master key, which seals the private parts of
/// its token signing keys in cpdb. It is not the data plane's <c>Secrets:MasterKey</c>: the planes share no secret.
/// </summary>
public sealed class ControlPlaneKeyOptions
{
    public const string Section = "ControlPlane";

    public static readonly MasterKeySettings Settings = new("ControlPlane:MasterKey", "ControlPlane:PreviousMasterKeys", "access-token signing keys");

    /// <summary>Base64 of 32 random bytes.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Earlier master keys (base64): signing keys sealed under them still open, and are re-sealed under the current one.</summary>
    public List<string> PreviousMasterKeys { get; set; } = [];
}

/// <summary>Configuration section <c>Auth:SigningKeys</c>: how access-token signing keys rotate.</summary>
public sealed class SigningKeyOptions
{
    public const string Section = "Auth:SigningKeys";

    /// <summary>How long one key signs before the next one takes over. It then stays published for a token lifetime plus skew.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each instance re-reads the key table (to pick up a key another instance created) and rotates when due.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A token naming a kid this instance has not loaded re-reads the table at most this often (a flood of made-up kids costs one query).</summary>
    public TimeSpan UnknownKeyReloadInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Stops startup when <c>ControlPlane:MasterKey</c> is missing (outside Development) or malformed, naming the setting.</summary>
internal sealed class ControlPlaneKeyOptionsValidator(IHostEnvironment environment) : IValidateOptions<ControlPlaneKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ControlPlaneKeyOptions options) =>
        MasterKeyRing.Problem(options.MasterKey, options.PreviousMasterKeys, ControlPlaneKeyOptions.Settings, environment.IsDevelopment()) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;
}

internal sealed class SigningKeyOptionsValidator : IValidateOptions<SigningKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningKeyOptions options) =>
        options.RotationInterval < TimeSpan.FromHours(1) ? ValidateOptionsResult.Fail("Auth:SigningKeys:RotationInterval must be at least one hour.")
        : options.RefreshInterval <= TimeSpan.Zero || options.UnknownKeyReloadInterval <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Auth:SigningKeys:RefreshInterval and UnknownKeyReloadInterval must be positive.")
        : ValidateOptionsResult.Success;
}
