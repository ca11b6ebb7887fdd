using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>Configuration section <c>Secrets</c>.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Secrets";

    /// <summary>Base64 of 32 random bytes: the key-encryption key new data keys are wrapped under.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Earlier master keys (base64), still accepted for reading until rotation re-wraps their rows.</summary>
    public List<string> PreviousKeys { get; set; } = [];
}

/// <summary>
/// The key-encryption keys: the current one wraps, every known one unwraps. A key's id is derived
/// from the key (a hash prefix), so rotating is only "move the old key to PreviousKeys, set the new".
/// </summary>
public sealed class MasterKeyRing
{
    public const int KeySize = 32;

    private readonly Dictionary<string, byte[]> keys;

    private MasterKeyRing(byte[] current, IEnumerable<byte[]> previous)
    {
        CurrentId = KeyId(current);
        keys = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [CurrentId] = current };
        foreach (var key in previous) keys.TryAdd(KeyId(key), key);
    }

    public string CurrentId { get; }

    public byte[] Current => keys[CurrentId];

    public IReadOnlyCollection<string> KnownIds => keys.Keys;

    public bool TryGet(string keyId, out byte[] key) => keys.TryGetValue(keyId, out key!);

    /// <summary>
    /// The ring for <paramref name="options"/>; outside Development a missing master key is an error,
    /// in Development an ephemeral key is generated (secrets stored with it die with the process).
    /// </summary>
    public static MasterKeyRing Create(SecretsOptions options, bool isDevelopment, ILogger logger)
    {
        if (Problem(options, isDevelopment) is { } problem) throw new InvalidOperationException(problem);
        var previous = options.PreviousKeys.Select(Decode).ToList();
        if (string.IsNullOrWhiteSpace(options.MasterKey))
        {
            logger.LogWarning(
                "Secrets:MasterKey is not set: provider secrets are encrypted under an ephemeral key and become unreadable when this process stops. Set Secrets:MasterKey outside development.");
            return new MasterKeyRing(RandomNumberGenerator.GetBytes(KeySize), previous);
        }
        return new MasterKeyRing(Decode(options.MasterKey), previous);
    }

    public static MasterKeyRing FromKeys(byte[] current, params byte[][] previous) => new(current, previous);

    public static string KeyId(byte[] key) =>
        "kek-" + Convert.ToHexStringLower(SHA256.HashData([.. Encoding.ASCII.GetBytes("honeyhive-kek-id:"), .. key]))[..16];

    /// <summary>What is wrong with the configuration, or null. Never includes key material.</summary>
    public static string? Problem(SecretsOptions options, bool isDevelopment)
    {
        const string Hint = "Set it to the base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`.";
        if (string.IsNullOrWhiteSpace(options.MasterKey))
        {
            return isDevelopment ? null : $"Secrets:MasterKey is not configured; provider secrets cannot be encrypted without it. {Hint}";
        }
        if (!IsKey(options.MasterKey)) return $"Secrets:MasterKey is not a base64-encoded 32-byte key. {Hint}";
        for (var i = 0; i < options.PreviousKeys.Count; i++)
        {
            if (!IsKey(options.PreviousKeys[i])) return $"Secrets:PreviousKeys:{i} is not a base64-encoded 32-byte key.";
        }
        return null;
    }

    private static bool IsKey(string value)
    {
        var buffer = new byte[KeySize + 3];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var written) && written == KeySize;
    }

    private static byte[] Decode(string value) => Convert.FromBase64String(value.Trim());
}

/// <summary>Checks <see cref="SecretsOptions"/> when the host starts (ValidateOnStart), so a bad key stops startup with a clear message.</summary>
internal sealed class SecretsOptionsValidator(IHostEnvironment environment) : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options) =>
        MasterKeyRing.Problem(options, environment.IsDevelopment()) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
