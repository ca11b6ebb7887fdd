using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The signed cluster identity the CP controller hands a data plane on registration: a compact JWS (ES256) saying
/// "data plane <c>sub</c> holds the key whose SubjectPublicKeyInfo hashes to <c>dp_key_sha256</c>", from <c>iat</c> until
/// <c>exp</c>, signed by the CP controller's key (header <c>kid</c> = SHA-256 of that key's SubjectPublicKeyInfo). The DP
/// keeps it and can present it; whoever trusts the CP key can check it without asking the CP.
/// </summary>
public static class DataPlaneIdentityDocument
{
    public const string Issuer = "honeyhive-control-plane";
    public const string KeyHashClaim = "dp_key_sha256";

    /// <summary>A key's id: base64url SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string KeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) => Base64UrlEncoder.Encode(SHA256.HashData(subjectPublicKeyInfo));

    public static string Issue(ECDsa controlPlaneKey, string dataPlaneId, byte[] dataPlanePublicKey, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        var signingKey = new ECDsaSecurityKey(controlPlaneKey) { KeyId = KeyId(controlPlaneKey.ExportSubjectPublicKeyInfo()) };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, dataPlaneId), new Claim(KeyHashClaim, KeyId(dataPlanePublicKey))]),
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>
    /// Checks <paramref name="document"/>: signed by <paramref name="controlPlanePublicKey"/> (ES256 only), issued by the CP,
    /// unexpired at <paramref name="now"/>, for <paramref name="dataPlaneId"/> and its key <paramref name="dataPlanePublicKey"/>.
    /// Returns why it is not valid, or null when it is.
    /// </summary>
    public static async Task<string?> ValidateAsync(
        string document, byte[] controlPlanePublicKey, string dataPlaneId, byte[] dataPlanePublicKey, DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(controlPlanePublicKey, out _);
        }
        catch (CryptographicException)
        {
            return "The control plane's public key is not a valid SubjectPublicKeyInfo.";
        }
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(document, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateAudience = false,
            IssuerSigningKey = new ECDsaSecurityKey(ecdsa) { KeyId = KeyId(controlPlanePublicKey) },
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            LifetimeValidator = (notBefore, expires, _, _) => notBefore <= now.UtcDateTime.AddMinutes(5) && expires > now.UtcDateTime,
        });
        if (!result.IsValid) return $"The identity document is not valid: {result.Exception?.Message}";
        if (!string.Equals(Claim(result.Claims, JwtRegisteredClaimNames.Sub), dataPlaneId, StringComparison.Ordinal))
            return "The identity document names another data plane.";
        if (!string.Equals(Claim(result.Claims, KeyHashClaim), KeyId(dataPlanePublicKey), StringComparison.Ordinal))
            return "The identity document is for another data-plane key.";
        return null;
    }

    private static string? Claim(IDictionary<string, object> claims, string name) => claims.TryGetValue(name, out var value) ? value as string : null;
}
