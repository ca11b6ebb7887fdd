using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Security;

/// <summary>Where a ring's keys come from in configuration, named in every message about them.</summary>
/// <param name="MasterKey">The setting with the current key, e.g. <c>Secrets:MasterKey</c>.</param>
/// <param name="PreviousKeys">The list setting with earlier keys, e.g. <c>Secrets:PreviousKeys</c>.</param>
/// <param name="Protects">What the keys protect, for messages ("provider secrets", "access-token signing keys").</param>
public sealed record MasterKeySettings(string MasterKey, string PreviousKeys, string Protects);

/// <summary>
/// Key-encryption keys of one plane: the current one seals, every known one opens. A key's id is derived
/// from the key (a hash prefix), so rotating is only "move the old key to the previous keys, set the new".
/// The data plane seals provider secrets under its ring (<c>Secrets:MasterKey</c>), the control plane its
/// token signing keys under its own (<c>ControlPlane:MasterKey</c>); the planes never share a key.
/// </summary>
public sealed class MasterKeyRing
{
    /// <summary>Bytes of a master key (AES-256).</summary>
    public const int KeySize = 32;

    private readonly Dictionary<string, byte[]> keys;

    private MasterKeyRing(byte[] current, IEnumerable<byte[]> previous)
    {
        CurrentId = KeyId(current);
        keys = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [CurrentId] = current };
        foreach (var key in previous) keys.TryAdd(KeyId(key), key);
    }

    /// <summary>Id of the key new seals use.</summary>
    public string CurrentId { get; }

    /// <summary>The key new seals use.</summary>
    public byte[] Current => keys[CurrentId];

    /// <summary>Ids of every key that can open.</summary>
    public IReadOnlyCollection<string> KnownIds => keys.Keys;

    /// <summary>The key with <paramref name="keyId"/>, when configured.</summary>
    public bool TryGet(string keyId, out byte[] key) => keys.TryGetValue(keyId, out key!);

    /// <summary>
    /// The ring of <paramref name="masterKey"/> and <paramref name="previousKeys"/>. Outside Development a missing
    /// master key is an error; in Development an ephemeral key is generated (what it seals dies with the process).
    /// </summary>
    public static MasterKeyRing Create(string? masterKey, IReadOnlyList<string> previousKeys, MasterKeySettings settings, bool isDevelopment, ILogger logger)
    {
        if (Problem(masterKey, previousKeys, settings, isDevelopment) is { } problem) throw new InvalidOperationException(problem);
        var previous = previousKeys.Select(Decode).ToList();
        if (string.IsNullOrWhiteSpace(masterKey))
        {
            logger.LogWarning(
                "{Setting} is not set: {Protects} are encrypted under an ephemeral key and become unreadable when this process stops. Set {Setting} outside development.",
                settings.MasterKey, settings.Protects, settings.MasterKey);
            return new MasterKeyRing(RandomNumberGenerator.GetBytes(KeySize), previous);
        }
        return new MasterKeyRing(Decode(masterKey), previous);
    }

    /// <summary>A ring of raw keys (tests, tools).</summary>
    public static MasterKeyRing FromKeys(byte[] current, params byte[][] previous) => new(current, previous);

    /// <summary>The id of a key: a prefix of a hash of it, safe to store next to what it sealed.</summary>
    public static string KeyId(byte[] key) =>
        "kek-" + Convert.ToHexStringLower(SHA256.HashData([.. Encoding.ASCII.GetBytes("honeyhive-kek-id:"), .. key]))[..16];

    /// <summary>What is wrong with the configuration, or null. Never includes key material.</summary>
    public static string? Problem(string? masterKey, IReadOnlyList<string> previousKeys, MasterKeySettings settings, bool isDevelopment)
    {
        const string Hint = "Set it to the base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`.";
        if (string.IsNullOrWhiteSpace(masterKey))
        {
            return isDevelopment ? null : $"{settings.MasterKey} is not configured; {settings.Protects} cannot be encrypted without it. {Hint}";
        }
        if (!IsKey(masterKey)) return $"{settings.MasterKey} is not a base64-encoded 32-byte key. {Hint}";
        for (var i = 0; i < previousKeys.Count; i++)
        {
            if (!IsKey(previousKeys[i])) return $"{settings.PreviousKeys}:{i} is not a base64-encoded 32-byte key.";
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
