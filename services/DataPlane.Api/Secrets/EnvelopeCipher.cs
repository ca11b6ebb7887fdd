using System.Security.Cryptography;
using System.Text;
using HoneyHive.Platform.Security;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>
/// What a sealed value is bound to beside its workspace and provider: the kind, base URL and settings stored with it.
/// Someone who can write the database but does not hold the master key cannot point a key at their own server: a row
/// whose binding was edited no longer decrypts. A row with none of them (every row stored before they existed) keeps
/// the original associated data, so it still opens.
/// </summary>
public sealed record SecretBinding(string? Kind, string? BaseUrl, IReadOnlyDictionary<string, string> Settings)
{
    public static readonly SecretBinding None = new(null, null, new Dictionary<string, string>());

    public bool IsNone => Kind is null && BaseUrl is null && Settings.Count == 0;

    /// <summary>Length-prefixed fields in a fixed order (settings sorted by name), so no two bindings share bytes.</summary>
    internal string Canonical()
    {
        var text = new StringBuilder();
        void Field(string? value) => text.Append(value is null ? "-1" : value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
        Field(Kind);
        Field(BaseUrl);
        foreach (var (key, value) in Settings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            Field(key);
            Field(value);
        }
        return text.ToString();
    }
}

/// <summary>A sealed secret as stored: the value under a data key, the data key under a master key.</summary>
public sealed record SealedSecret(byte[] Ciphertext, byte[] Nonce, byte[] Tag, byte[] WrappedKey, byte[] KeyNonce, byte[] KeyTag, string KekId);

/// <summary>
/// Envelope encryption with AES-256-GCM (<see cref="AesGcmSeal"/>): a fresh random data
/// key and 12-byte nonce per secret; the data key is wrapped under the ring's current master key.
/// Both seals carry the workspace and provider as associated data, so a row copied to another
/// workspace or provider fails authentication instead of decrypting; the value's seal also carries the
/// <see cref="SecretBinding"/> (kind, base URL, settings). Re-wrapping touches only the data key's seal.
/// </summary>
public sealed class EnvelopeCipher(MasterKeyRing ring)
{
    public MasterKeyRing Ring => ring;

    public SealedSecret Seal(string value, Guid workspace, string provider, SecretBinding? binding = null)
    {
        var dataKey = RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize);
        try
        {
            var plaintext = Encoding.UTF8.GetBytes(value);
            var (ciphertext, nonce, tag) = Encrypt(dataKey, plaintext, ValueContext(workspace, provider, binding));
            CryptographicOperations.ZeroMemory(plaintext);
            var (wrapped, keyNonce, keyTag) = Encrypt(ring.Current, dataKey, KeyContext(ring.CurrentId, workspace, provider));
            return new SealedSecret(ciphertext, nonce, tag, wrapped, keyNonce, keyTag, ring.CurrentId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <exception cref="CryptographicException">Unknown master key, tampered data, or a row moved to another workspace/provider.</exception>
    public string Open(SealedSecret secret, Guid workspace, string provider, SecretBinding? binding = null)
    {
        var dataKey = Unwrap(secret, workspace, provider);
        try
        {
            var plaintext = Decrypt(dataKey, secret.Ciphertext, secret.Nonce, secret.Tag, ValueContext(workspace, provider, binding));
            try
            {
                return Encoding.UTF8.GetString(plaintext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>The same value and data key, with the data key wrapped under the current master key.</summary>
    public SealedSecret Rewrap(SealedSecret secret, Guid workspace, string provider)
    {
        var dataKey = Unwrap(secret, workspace, provider);
        try
        {
            var (wrapped, keyNonce, keyTag) = Encrypt(ring.Current, dataKey, KeyContext(ring.CurrentId, workspace, provider));
            return secret with { WrappedKey = wrapped, KeyNonce = keyNonce, KeyTag = keyTag, KekId = ring.CurrentId };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private byte[] Unwrap(SealedSecret secret, Guid workspace, string provider)
    {
        if (!ring.TryGet(secret.KekId, out var kek))
            throw new CryptographicException($"Master key {secret.KekId} is not configured (Secrets:MasterKey or Secrets:PreviousKeys).");
        return Decrypt(kek, secret.WrappedKey, secret.KeyNonce, secret.KeyTag, KeyContext(secret.KekId, workspace, provider));
    }

    private static byte[] ValueContext(Guid workspace, string provider, SecretBinding? binding) => binding is null || binding.IsNone
        ? Encoding.UTF8.GetBytes($"honeyhive/provider-secret/v1\n{workspace:D}\n{provider}")
        : Encoding.UTF8.GetBytes($"honeyhive/provider-secret/v2\n{workspace:D}\n{provider}\n{binding.Canonical()}");

    private static byte[] KeyContext(string kekId, Guid workspace, string provider) =>
        Encoding.UTF8.GetBytes($"honeyhive/data-key/v1\n{kekId}\n{workspace:D}\n{provider}");

    private static (byte[] Ciphertext, byte[] Nonce, byte[] Tag) Encrypt(byte[] key, byte[] plaintext, byte[] associatedData)
    {
        var sealedValue = AesGcmSeal.Seal(key, plaintext, associatedData);
        return (sealedValue.Ciphertext, sealedValue.Nonce, sealedValue.Tag);
    }

    private static byte[] Decrypt(byte[] key, byte[] ciphertext, byte[] nonce, byte[] tag, byte[] associatedData) =>
        AesGcmSeal.Open(key, new Sealed(ciphertext, nonce, tag), associatedData);
}
