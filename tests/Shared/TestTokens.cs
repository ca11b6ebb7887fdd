using System.Security.Cryptography;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// An ES256 key of the tests' own, minting access tokens the way the control plane does (and tokens that break one
/// rule each, for the attack tests), and serving its public key as an <see cref="ISigningKeySource"/> or a JWKS document.
/// </summary>
public sealed class TestTokens : ISigningKeySource, IDisposable
{
    private readonly ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestTokens(AccessTokenOptions? options = null, string? keyId = null)
    {
        Options = options ?? new AccessTokenOptions();
        KeyId = keyId ?? "test-" + Guid.NewGuid().ToString("N")[..16];
        Key = new ECDsaSecurityKey(ecdsa) { KeyId = KeyId };
    }

    public AccessTokenOptions Options { get; }

    public string KeyId { get; }

    public ECDsaSecurityKey Key { get; }

    /// <summary>The public key as a JWK (what /.well-known/jwks.json lists).</summary>
    public JsonWebKey PublicJwk
    {
        get
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))) { KeyId = KeyId });
            jwk.Use = "sig";
            jwk.Alg = AccessTokenClaims.Algorithm;
            return jwk;
        }
    }

    /// <summary>A JWKS document with this key.</summary>
    public string JwksJson => System.Text.Json.JsonSerializer.Serialize(new { keys = new[] { PublicJwk } });

    public ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SecurityKey?>(keyId == KeyId ? Key : null);

    /// <summary>A valid access token for <paramref name="userId"/> with <paramref name="grants"/>; <paramref name="adjust"/> may break it.</summary>
    public string Mint(Guid userId, IEnumerable<Grant> grants, Action<SecurityTokenDescriptor>? adjust = null)
    {
        var now = DateTime.UtcNow;
        var grantList = grants.ToList();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Options.Issuer,
            Audience = Options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Options.Lifetime,
            TokenType = AccessTokenClaims.TokenType,
            SigningCredentials = new SigningCredentials(Key, AccessTokenClaims.Algorithm),
            Claims = new Dictionary<string, object>
            {
                [AccessTokenClaims.Subject] = userId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
                [AccessTokenClaims.Email] = $"user-{userId:N}@example.com",
                [AccessTokenClaims.Scope] = string.Join(' ', grantList.SelectMany(g => g.Permissions).Distinct()),
                [GrantRules.Claim] = System.Text.Json.JsonDocument.Parse(GrantRules.Serialize(grantList)).RootElement,
            },
        };
        adjust?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => ecdsa.Dispose();
}
