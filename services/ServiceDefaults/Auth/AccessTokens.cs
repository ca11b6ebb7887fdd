using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Configuration section <c>Auth:Tokens</c>, read by both planes: the control plane issues access tokens with
/// these values and the data plane accepts only tokens that carry them.
/// </summary>
public sealed class AccessTokenOptions
{
    public const string Section = "Auth:Tokens";

    /// <summary>The <c>iss</c> of every access token.</summary>
    public string Issuer { get; set; } = "honeyhive-control-plane";

    /// <summary>The <c>aud</c> of every access token: the APIs of both planes.</summary>
    public string Audience { get; set; } = "honeyhive-api";

    /// <summary>How long an access token lives; short, because it cannot be revoked before it ends.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Clock difference tolerated between the planes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the data plane reads the control plane's public keys (<c>/.well-known/jwks.json</c>).</summary>
    public string? JwksUrl { get; set; }

    /// <summary>How long the data plane keeps a fetched key set before reading it again.</summary>
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A token naming a key the data plane does not know refreshes the set at most this often.</summary>
    public TimeSpan JwksMinimumRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The claims of an access token beyond the registered ones (iss, aud, sub, exp, iat, nbf, jti).</summary>
public static class AccessTokenClaims
{
    /// <summary>RFC 9068's media type for JWT access tokens; a JWT of another <c>typ</c> is not an access token.</summary>
    public const string TokenType = "at+jwt";

    /// <summary>The only signing algorithm accepted: ECDSA P-256 with SHA-256.</summary>
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    public const string Subject = "sub";
    public const string Email = "email";

    /// <summary>The sign-in session (refresh token family) the token was issued in.</summary>
    public const string Session = "sid";

    /// <summary>Every permission the user holds somewhere, space-separated (RFC 8693 <c>scope</c>); where is in <see cref="GrantRules.Claim"/>.</summary>
    public const string Scope = "scope";
}

/// <summary>Finds the public key a token names (by <c>kid</c>): the CP's own key ring there, the JWKS on the data plane.</summary>
public interface ISigningKeySource
{
    /// <summary>The key with <paramref name="keyId"/>, or null when it is unknown or retired past its overlap.</summary>
    ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken);
}

/// <summary>A verified access token: who, in which sign-in session, holding which grants, until when.</summary>
public sealed record VerifiedAccessToken(Guid UserId, string? Email, Guid? SessionId, string TokenId, IReadOnlyList<Grant> Grants, DateTimeOffset ExpiresAt);

/// <summary>
/// Verifies access tokens for both planes with Microsoft.IdentityModel.JsonWebTokens, pinned to ES256 and
/// <see cref="AccessTokenClaims.TokenType"/>, with issuer, audience and lifetime checked. The key is looked up by
/// <c>kid</c> before validation, so a token can never choose its own key or algorithm (alg=none, HS256 keyed with
/// the public key, an embedded jwk).
/// </summary>
public sealed partial class AccessTokenValidator(ISigningKeySource keys, AccessTokenOptions options, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>True when <paramref name="bearer"/> has the shape of a JWS (three base64url parts), i.e. is not an API key.</summary>
    public static bool LooksLikeJwt(string bearer) => bearer.Count(c => c == '.') == 2 && bearer.StartsWith("ey", StringComparison.Ordinal);

    /// <summary>The verified token, or a reason it is refused (never echoing the token).</summary>
    public async Task<(VerifiedAccessToken? Token, string? Error)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length > BearerToken.MaxTokenLength) return (null, "The access token is too long.");
        JsonWebToken parsed;
        try
        {
            parsed = Handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return (null, "The access token is not a well-formed JWT.");
        }

        if (!string.Equals(parsed.Alg, AccessTokenClaims.Algorithm, StringComparison.Ordinal))
            return (null, $"The access token must be signed with {AccessTokenClaims.Algorithm}.");
        if (string.IsNullOrEmpty(parsed.Kid) || !KeyIdShape().IsMatch(parsed.Kid))
            return (null, "The access token names no signing key, or a malformed one.");

        var key = await keys.FindAsync(parsed.Kid, cancellationToken);
        if (key is null) return (null, "The access token was signed by a key that is unknown or retired.");

        var result = await Handler.ValidateTokenAsync(parsed, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [AccessTokenClaims.Algorithm],
            ValidTypes = [AccessTokenClaims.TokenType],
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp + options.ClockSkew > now && (notBefore is not { } nbf || nbf - options.ClockSkew <= now);
            },
        });
        if (!result.IsValid) return (null, Describe(result.Exception));

        var claims = result.ClaimsIdentity;
        if (!Guid.TryParse(claims.FindFirst(AccessTokenClaims.Subject)?.Value, out var userId))
            return (null, "The access token has no user (sub).");
        var grants = GrantRules.TryParse(parsed.TryGetPayloadValue<System.Text.Json.JsonElement>(GrantRules.Claim, out var raw) ? raw.GetRawText() : null);
        if (grants is null) return (null, "The access token carries no well-formed grants.");
        var sessionId = Guid.TryParse(claims.FindFirst(AccessTokenClaims.Session)?.Value, out var sid) ? sid : (Guid?)null;
        return (new VerifiedAccessToken(userId, claims.FindFirst(AccessTokenClaims.Email)?.Value, sessionId, parsed.Id ?? "", grants,
            new DateTimeOffset(parsed.ValidTo, TimeSpan.Zero)), null);
    }

    private static string Describe(Exception? error) => error switch
    {
        SecurityTokenExpiredException => "The access token has expired; refresh it.",
        SecurityTokenNotYetValidException => "The access token is not valid yet.",
        SecurityTokenInvalidLifetimeException => "The access token has expired or is not valid yet.",
        SecurityTokenInvalidAudienceException => "The access token is not meant for this API (aud).",
        SecurityTokenInvalidIssuerException => "The access token was not issued by this platform's control plane (iss).",
        SecurityTokenInvalidTypeException => $"The token is not an access token (typ must be {AccessTokenClaims.TokenType}).",
        SecurityTokenInvalidAlgorithmException => $"The access token must be signed with {AccessTokenClaims.Algorithm}.",
        _ => "The access token's signature or claims are invalid.",
    };

    // Key ids are ours (base64url of a hash prefix); anything else, a path or URL included, is refused before lookup.
    [GeneratedRegex("^[A-Za-z0-9_-]{8,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyIdShape();
}

/// <summary>Claims of a data-plane or control-plane principal built from a verified access token.</summary>
public static class AccessTokenPrincipal
{
    /// <summary>Set on principals authenticated by an access token (absent for API keys).</summary>
    public const string UserIdClaim = "user_id";
}
