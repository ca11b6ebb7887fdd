using System.Security.Cryptography;
using System.Text;
using HoneyHive.Platform.Security;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>A sealed secret as stored: the value under a data key, the data key under a master key.</summary>
public sealed record SealedSecret(byte[] Ciphertext, byte[] Nonce, byte[] Tag, byte[] WrappedKey, byte[] KeyNonce, byte[] KeyTag, string KekId);

/// <summary>
/// Envelope encryption with AES-256-GCM (<see cref="AesGcmSeal"/>): a fresh random data
/// key and 12-byte nonce per secret; the data key is wrapped under the ring's current master key.
/// Both seals carry the workspace and provider as associated data, so a row copied to another
/// workspace or provider fails authentication instead of decrypting.
/// </summary>
public sealed class EnvelopeCipher(MasterKeyRing ring)
{
    public MasterKeyRing Ring => ring;

    public SealedSecret Seal(string value, Guid workspace, string provider)
    {
        var dataKey = RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize);
        try
        {
            var plaintext = Encoding.UTF8.GetBytes(value);
            var (ciphertext, nonce, tag) = Encrypt(dataKey, plaintext, ValueContext(workspace, provider));
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
    public string Open(SealedSecret secret, Guid workspace, string provider)
    {
        var dataKey = Unwrap(secret, workspace, provider);
        try
        {
            var plaintext = Decrypt(dataKey, secret.Ciphertext, secret.Nonce, secret.Tag, ValueContext(workspace, provider));
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

    private static byte[] ValueContext(Guid workspace, string provider) => Encoding.UTF8.GetBytes($"honeyhive/provider-secret/v1\n{workspace:D}\n{provider}");

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
