using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Platform.Security;

/// <summary>
/// A short secret (a webhook's signing secret) sealed under a master-key ring as one text value that fits a JSON field
/// or a column: <c>v1.&lt;key id&gt;.&lt;base64 nonce|tag|ciphertext&gt;</c>. The key id lets a rotated ring still open
/// values sealed before the rotation; the associated data binds the value to its owner (an alert, a channel), so a
/// sealed value copied to another row does not open.
/// </summary>
public static class SealedText
{
    private const string Version = "v1";

    /// <summary>Seals <paramref name="plaintext"/> under the ring's current key.</summary>
    public static string Seal(MasterKeyRing ring, string plaintext, string associatedData)
    {
        var sealedValue = AesGcmSeal.Seal(ring.Current, Encoding.UTF8.GetBytes(plaintext), Encoding.UTF8.GetBytes(associatedData));
        var packed = new byte[AesGcmSeal.NonceSize + AesGcmSeal.TagSize + sealedValue.Ciphertext.Length];
        sealedValue.Nonce.CopyTo(packed, 0);
        sealedValue.Tag.CopyTo(packed, AesGcmSeal.NonceSize);
        sealedValue.Ciphertext.CopyTo(packed, AesGcmSeal.NonceSize + AesGcmSeal.TagSize);
        return $"{Version}.{ring.CurrentId}.{Convert.ToBase64String(packed)}";
    }

    /// <summary>The plaintext of a value made by <see cref="Seal"/>.</summary>
    /// <exception cref="CryptographicException">Malformed, sealed by a key the ring does not hold, or for another owner.</exception>
    public static string Open(MasterKeyRing ring, string text, string associatedData)
    {
        var parts = text.Split('.', 3);
        if (parts.Length != 3 || parts[0] != Version) throw new CryptographicException("Not a sealed value.");
        if (!ring.TryGet(parts[1], out var key)) throw new CryptographicException($"The value was sealed by key {parts[1]}, which the master-key ring no longer holds.");
        byte[] packed;
        try
        {
            packed = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException e)
        {
            throw new CryptographicException("Not a sealed value.", e);
        }
        if (packed.Length < AesGcmSeal.NonceSize + AesGcmSeal.TagSize) throw new CryptographicException("Not a sealed value.");
        var sealedValue = new Sealed(packed[(AesGcmSeal.NonceSize + AesGcmSeal.TagSize)..], packed[..AesGcmSeal.NonceSize],
            packed[AesGcmSeal.NonceSize..(AesGcmSeal.NonceSize + AesGcmSeal.TagSize)]);
        return Encoding.UTF8.GetString(AesGcmSeal.Open(key, sealedValue, Encoding.UTF8.GetBytes(associatedData)));
    }
}
