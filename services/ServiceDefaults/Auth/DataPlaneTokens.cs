using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Access-token verification as the data plane does it: <see cref="AccessTokenValidator"/> over the JWKS
/// (<see cref="JwksKeySource"/>), with verified tokens remembered by the SHA-256 of their text until they expire, so
/// an SDK sending the same token on every call pays the ES256 check once. A hit is still refused once its key has
/// left the JWKS (rotated out past its overlap), and a changed token (a tampered payload) hashes differently and is
/// verified in full. Refusals are not remembered: they are cheap to repeat, and a cache of them would be a target.
/// </summary>
public sealed class DataPlaneTokens : IDisposable
{
    /// <summary>Most verified tokens kept; past it the cache evicts, and the next use of an evicted token is verified again.</summary>
    public const int MaxCachedTokens = 20_000;

    private readonly AccessTokenValidator validator;
    private readonly ISigningKeySource keys;
    private readonly TimeProvider clock;
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = MaxCachedTokens });

    /// <param name="keys">The JWKS in production (registered by <c>AddDataPlaneAuthentication</c>); any source in tests and benches.</param>
    public DataPlaneTokens(ISigningKeySource keys, AccessTokenOptions options, TimeProvider clock)
    {
        this.keys = keys;
        this.clock = clock;
        validator = new AccessTokenValidator(keys, options, clock);
    }

    /// <summary>The verified token, or why it is refused.</summary>
    public async ValueTask<(VerifiedAccessToken? Token, string? Error)> VerifyAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length > BearerToken.MaxTokenLength) return (null, "The access token is too long.");
        var hash = Hash(token);
        if (cache.TryGetValue(hash, out Entry? entry) && entry is not null && clock.GetUtcNow() < entry.Token.ExpiresAt
            && await keys.FindAsync(entry.KeyId, cancellationToken) is not null)
        {
            return (entry.Token, null);
        }

        var (verified, error) = await validator.ValidateAsync(token, cancellationToken);
        if (verified is null) return (null, error);
        var expires = verified.ExpiresAt;
        if (expires > clock.GetUtcNow())
        {
            // The validator read this kid already; reading the header again costs nothing next to the signature check.
            var kid = new JsonWebToken(token).Kid;
            cache.Set(hash, new Entry(verified, kid), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = expires });
        }
        return (verified, null);
    }

    private static string Hash(string token)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(token.Length));
        try
        {
            var written = Encoding.UTF8.GetBytes(token, rented);
            SHA256.HashData(rented.AsSpan(0, written), digest);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        return Convert.ToBase64String(digest);
    }

    public void Dispose() => cache.Dispose();

    private sealed record Entry(VerifiedAccessToken Token, string KeyId);
}
