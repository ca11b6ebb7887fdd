using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Tests.Tokens;

/// <summary>
/// Forged and broken access tokens presented to the control plane's authenticated routes: each is refused with 401
/// (the validator does the work; this proves it is the one the CP uses, over the CP's own keys).
/// </summary>
public sealed class TokenAttackTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    public static TheoryData<string> Attacks => new()
    {
        "alg_none", "hs256_keyed_with_the_public_jwk", "hs256_keyed_with_the_public_key_der", "expired", "not_yet_valid",
        "wrong_audience", "wrong_issuer", "tampered_payload", "unknown_kid", "path_like_kid", "cp_kid_but_another_key",
        "id_token_type", "embedded_jwk_header", "no_kid", "no_signature",
    };

    [Fact]
    public async Task A_token_the_cp_signed_is_accepted_so_the_refusals_below_are_meaningful()
    {
        Assert.Equal(HttpStatusCode.OK, await MeAsync(await MintAsync()));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_forged_or_broken_token_is_refused_with_401(string attack)
    {
        var token = attack switch
        {
            "alg_none" => Unsigned(await MintAsync(), new { alg = "none", typ = "at+jwt", kid = await KidAsync() }),
            "hs256_keyed_with_the_public_jwk" => Hs256(await MintAsync(), Encoding.UTF8.GetBytes(await PublicJwkAsync())),
            "hs256_keyed_with_the_public_key_der" => Hs256(await MintAsync(), (await SigningKeyAsync()).ECDsa.ExportSubjectPublicKeyInfo()),
            "expired" => await MintAsync(d =>
            {
                d.IssuedAt = d.NotBefore = cp.Clock.GetUtcNow().UtcDateTime.AddMinutes(-20);
                d.Expires = cp.Clock.GetUtcNow().UtcDateTime.AddMinutes(-5);
            }),
            "not_yet_valid" => await MintAsync(d =>
            {
                d.IssuedAt = d.NotBefore = cp.Clock.GetUtcNow().UtcDateTime.AddMinutes(5);
                d.Expires = cp.Clock.GetUtcNow().UtcDateTime.AddMinutes(15);
            }),
            "wrong_audience" => await MintAsync(d => d.Audience = "some-other-api"),
            "wrong_issuer" => await MintAsync(d => d.Issuer = "https://evil.example.com"),
            "tampered_payload" => Tampered(await MintAsync()),
            "unknown_kid" => ForeignKey(new TestTokens(Options)),
            "path_like_kid" => ForeignKey(new TestTokens(Options, "../../../../etc/passwd")),
            "cp_kid_but_another_key" => ForeignKey(new TestTokens(Options, await KidAsync())),
            "id_token_type" => await MintAsync(d => d.TokenType = "JWT"),
            "embedded_jwk_header" => EmbeddedJwk(),
            "no_kid" => Unsigned(await MintAsync(), new { alg = "ES256", typ = "at+jwt" }, keepSignature: true),
            "no_signature" => string.Join('.', (await MintAsync()).Split('.')[..2]) + ".",
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(token));
    }

    private AccessTokenOptions Options => cp.Services.GetRequiredService<AccessTokenOptions>();

    private Task<ECDsaSecurityKey> SigningKeyAsync() => cp.Services.GetRequiredService<SigningKeyRing>().SigningKeyAsync(CancellationToken.None);

    private async Task<string> KidAsync() => (await SigningKeyAsync()).KeyId;

    private async Task<string> PublicJwkAsync()
    {
        using var client = cp.Client();
        using var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json"));
        return jwks.RootElement.GetProperty("keys")[0].GetRawText();
    }

    /// <summary>A token for the bootstrap admin signed with the CP's own key, as login would issue it, then adjusted.</summary>
    private async Task<string> MintAsync(Action<SecurityTokenDescriptor>? adjust = null)
    {
        var key = await SigningKeyAsync();
        var now = cp.Clock.GetUtcNow().UtcDateTime;
        var admin = await cp.Services.GetRequiredService<HoneyHive.ControlPlane.Api.Accounts.UserAccounts>().FindByEmailAsync(cp.Bootstrap.AdminEmail, CancellationToken.None);
        var grants = new[] { new Grant(GrantScopes.Org, cp.Bootstrap.OrgId, Permissions.All) };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Options.Issuer,
            Audience = Options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Options.Lifetime,
            TokenType = AccessTokenClaims.TokenType,
            SigningCredentials = new SigningCredentials(key, AccessTokenClaims.Algorithm),
            Claims = new Dictionary<string, object>
            {
                [AccessTokenClaims.Subject] = admin!.Id.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                [GrantRules.Claim] = JsonDocument.Parse(GrantRules.Serialize(grants)).RootElement.Clone(),
            },
        };
        adjust?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private string ForeignKey(TestTokens attacker)
    {
        using (attacker)
        {
            var admin = cp.Services.GetRequiredService<HoneyHive.ControlPlane.Api.Accounts.UserAccounts>()
                .FindByEmailAsync(cp.Bootstrap.AdminEmail, CancellationToken.None).GetAwaiter().GetResult();
            return attacker.Mint(admin!.Id, [new Grant(GrantScopes.Org, cp.Bootstrap.OrgId, Permissions.All)], d =>
            {
                d.IssuedAt = d.NotBefore = cp.Clock.GetUtcNow().UtcDateTime;
                d.Expires = cp.Clock.GetUtcNow().UtcDateTime.AddMinutes(5);
            });
        }
    }

    /// <summary>The attacker's key, its public JWK in the header (RFC 7515 jwk), hoping the verifier uses it.</summary>
    private string EmbeddedJwk()
    {
        using var attacker = new TestTokens(Options);
        var token = ForeignKey(new TestTokens(Options, attacker.KeyId));
        var jwk = JsonSerializer.Deserialize<JsonElement>(JsonSerializer.Serialize(attacker.PublicJwk));
        var parts = token.Split('.');
        var header = Encode(new { alg = "ES256", typ = "at+jwt", kid = attacker.KeyId, jwk });
        var signature = attacker.Key.ECDsa.SignData(Encoding.ASCII.GetBytes(header + "." + parts[1]), HashAlgorithmName.SHA256);
        return $"{header}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}";
    }

    private static string Unsigned(string token, object header, bool keepSignature = false)
    {
        var parts = token.Split('.');
        return $"{Encode(header)}.{parts[1]}.{(keepSignature ? parts[2] : "")}";
    }

    private static string Hs256(string token, byte[] secret)
    {
        var parts = token.Split('.');
        var header = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(parts[0]))!;
        header["alg"] = "HS256";
        var signingInput = Encode(header) + "." + parts[1];
        return signingInput + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
    }

    /// <summary>The payload changed after signing (another user id), the signature kept.</summary>
    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        payload["sub"] = JsonSerializer.SerializeToElement(Guid.NewGuid().ToString());
        return $"{parts[0]}.{Encode(payload)}.{parts[2]}";
    }

    private static string Encode(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    private async Task<HttpStatusCode> MeAsync(string token)
    {
        using var response = await cp.Client(bearer: token).GetAsync("/v1/auth/me");
        return response.StatusCode;
    }
}
