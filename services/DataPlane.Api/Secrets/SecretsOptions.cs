using HoneyHive.Platform.Security;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>Configuration section <c>Secrets</c>: the data plane's master-key ring (<see cref="MasterKeyRing"/>).</summary>
public sealed class SecretsOptions
{
    public const string Section = "Secrets";

    public static readonly MasterKeySettings Settings = new("Secrets:MasterKey", "Secrets:PreviousKeys", "provider secrets");

    /// <summary>Base64 of 32 random bytes: the key-encryption key new data keys are wrapped under.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Earlier master keys (base64), still accepted for reading until rotation re-wraps their rows.</summary>
    public List<string> PreviousKeys { get; set; } = [];

    public MasterKeyRing CreateRing(bool isDevelopment, ILogger logger) =>
        MasterKeyRing.Create(MasterKey, PreviousKeys, Settings, isDevelopment, logger);
}

/// <summary>Checks <see cref="SecretsOptions"/> when the host starts (ValidateOnStart), so a bad key stops startup with a clear message.</summary>
internal sealed class SecretsOptionsValidator(IHostEnvironment environment) : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options) =>
        MasterKeyRing.Problem(options.MasterKey, options.PreviousKeys, SecretsOptions.Settings, environment.IsDevelopment()) is { } problem
            ? ValidateOptionsResult.Fail(problem)
            : ValidateOptionsResult.Success;
}
