using System.Security.Cryptography;

namespace HoneyHive.Platform.Security;

/// <summary>Bytes sealed with AES-256-GCM: the ciphertext, its 12-byte nonce and 16-byte tag.</summary>
public sealed record Sealed(byte[] Ciphertext, byte[] Nonce, byte[] Tag);

/// <summary>
/// AES-256-GCM (System.Security.Cryptography.AesGcm) with a fresh random nonce per seal. The associated data
/// binds a sealed value to where it belongs (its row, its key id), so a value copied elsewhere fails to open
/// instead of decrypting.
/// </summary>
public static class AesGcmSeal
{
    /// <summary>Nonce size in bytes (GCM's recommended 96 bits).</summary>
    public const int NonceSize = 12;

    /// <summary>Tag size in bytes.</summary>
    public const int TagSize = 16;

    /// <summary>Seals <paramref name="plaintext"/> under <paramref name="key"/> (32 bytes).</summary>
    public static Sealed Seal(byte[] key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        return new Sealed(ciphertext, nonce, tag);
    }

    /// <summary>The plaintext of <paramref name="sealedValue"/>; the caller zeroes it when done.</summary>
    /// <exception cref="AuthenticationTagMismatchException">The key, the associated data or the sealed bytes are not the ones it was sealed with.</exception>
    public static byte[] Open(byte[] key, Sealed sealedValue, ReadOnlySpan<byte> associatedData)
    {
        var plaintext = new byte[sealedValue.Ciphertext.Length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedValue.Nonce, sealedValue.Ciphertext, sealedValue.Tag, plaintext, associatedData);
        return plaintext;
    }
}
