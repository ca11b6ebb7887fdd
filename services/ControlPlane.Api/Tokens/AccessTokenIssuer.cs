using System.Text.Json;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Api.Tokens;

/// <summary>An access token and when it ends.</summary>
public sealed record IssuedAccessToken(string Token, DateTimeOffset ExpiresAt, int ExpiresIn);

/// <summary>
/// Mints access tokens (RFC 9068 <c>at+jwt</c>, ES256) with Microsoft.IdentityModel.JsonWebTokens, signed by the key
/// that signs now: iss, aud, sub (user id), email, sid (the sign-in session), jti, iat, nbf, exp, scope (every
/// permission the user holds somewhere) and hh_grants (where they hold them), as <see cref="AccessTokenValidator"/> reads them.
/// </summary>
public sealed class AccessTokenIssuer(SigningKeyRing keys, AccessTokenOptions options, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedAccessToken> IssueAsync(Guid userId, string email, Guid sessionId, IReadOnlyList<Grant> grants, CancellationToken cancellationToken)
    {
        var key = await keys.SigningKeyAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var expires = now + options.Lifetime;
        var scope = string.Join(' ', Permissions.KnownOnly(grants.SelectMany(g => g.Permissions)).Order(StringComparer.Ordinal));
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = AccessTokenClaims.TokenType,
            SigningCredentials = new SigningCredentials(key, AccessTokenClaims.Algorithm),
            Claims = new Dictionary<string, object>
            {
                [AccessTokenClaims.Subject] = userId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                [AccessTokenClaims.Email] = email,
                [AccessTokenClaims.Session] = sessionId.ToString(),
                [AccessTokenClaims.Scope] = scope,
                // A JSON array, not a string holding JSON: the validator reads the claim's raw JSON.
                [GrantRules.Claim] = JsonDocument.Parse(GrantRules.Serialize(grants)).RootElement.Clone(),
            },
        });
        // Every verifier refuses longer tokens (BearerToken.MaxTokenLength); say so here rather than hand out one that never works.
        if (token.Length > BearerToken.MaxTokenLength)
            throw new ApiRequestException(StatusCodes.Status409Conflict, null,
                $"This account holds {grants.Count} role grants, too many to fit in an access token; ask an org admin for a workspace or org role in place of many project roles.");
        return new IssuedAccessToken(token, expires, (int)options.Lifetime.TotalSeconds);
    }
}
