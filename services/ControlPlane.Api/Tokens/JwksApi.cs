using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HoneyHive.ControlPlane.Api.Tokens;

/// <summary>
/// <c>GET /.well-known/jwks.json</c> (RFC 7517), anonymous: the public keys access tokens are verified with, the
/// signing key and the keys retired within their overlap. Public parts only (kty, crv, x, y, kid, use, alg).
/// </summary>
public static class JwksApi
{
    // Short enough that a data plane caching it sees a new key soon; a token naming an unknown kid refreshes it anyway.
    public const int MaxAgeSeconds = 300;

    public static void MapJwksApi(this IEndpointRouteBuilder group) =>
        group.MapGet("/.well-known/jwks.json", GetAsync).AllowAnonymous().WithName("GetJwks");

    private static async Task<Ok<JsonObject>> GetAsync(SigningKeyRing keys, HttpResponse response, CancellationToken cancellationToken)
    {
        var published = await keys.PublishedAsync(cancellationToken);
        response.Headers.CacheControl = $"public, max-age={MaxAgeSeconds}";
        return TypedResults.Ok(new JsonObject { ["keys"] = new JsonArray([.. published]) });
    }
}
