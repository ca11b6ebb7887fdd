using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Platform.Security;

/// <summary>
/// Project API keys: <c>hh_</c> + 32 random bytes (base64url). Only their SHA-256 hash is stored;
/// with 256 bits of entropy a slow password hash adds nothing, and a plain hash allows lookup.
/// </summary>
public static class ApiKeys
{
    /// <summary>Prefix that marks our keys (also lets secret scanners recognise them).</summary>
    public const string Prefix = "hh_";

    /// <summary>A new random key.</summary>
    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The stored form of a key.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>A short, non-secret label to show which key is which (first 8 characters).</summary>
    public static string DisplayPrefix(string key) => key.Length <= 8 ? key : key[..8];

    /// <summary>Compares two hashes in constant time.</summary>
    public static bool HashesEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
