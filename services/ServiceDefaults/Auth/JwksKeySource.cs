using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The data plane's view of the control plane's signing keys: the JWKS at <see cref="AccessTokenOptions.JwksUrl"/>,
/// kept for <see cref="AccessTokenOptions.JwksCacheDuration"/>. A token naming a key not in the set refreshes it, at
/// most once per <see cref="AccessTokenOptions.JwksMinimumRefreshInterval"/>, and every request waiting on that
/// refresh shares one fetch, so a flood of forged kids costs the CP one request per interval. A failed fetch keeps
/// the last good set. Only EC P-256 signing keys are kept: the validator is pinned to ES256 anyway, and a key of
/// another type in the set can then never be chosen by a token.
/// </summary>
public sealed class JwksKeySource : ISigningKeySource, IDisposable
{
    /// <summary>Largest JWKS document read; a CP publishes a handful of keys, a few KiB.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>How long one fetch may take before it counts as failed.</summary>
    public static TimeSpan FetchTimeout { get; } = TimeSpan.FromSeconds(5);

    private static readonly KeySet Empty = new(FrozenDictionary<string, SecurityKey>.Empty, DateTimeOffset.MinValue);

    private readonly AccessTokenOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<JwksKeySource> logger;
    private readonly HttpClient http;
    private readonly Uri? url;
    private readonly Lock gate = new();
    private volatile KeySet current = Empty;
    private DateTimeOffset lastAttempt = DateTimeOffset.MinValue;
    private Task<KeySet>? inflight;
    private bool warnedUnconfigured;

    public JwksKeySource(AccessTokenOptions options, TimeProvider clock, ILogger<JwksKeySource> logger, HttpMessageHandler? handler = null)
    {
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        url = string.IsNullOrWhiteSpace(options.JwksUrl) ? null : new Uri(options.JwksUrl, UriKind.Absolute);
        http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            Timeout = FetchTimeout,
            MaxResponseContentBufferSize = MaxDocumentBytes,
        };
    }

    /// <summary>The key ids of the set in use (for tests and diagnostics).</summary>
    public IReadOnlyCollection<string> KnownKeyIds => current.Keys.Keys;

    public async ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var set = current;
        var now = clock.GetUtcNow();
        if (now < set.FetchedAt + options.JwksCacheDuration && set.Keys.TryGetValue(keyId, out var key)) return key;

        // Stale, or a kid this set does not hold: refresh (shared, rate-limited), then look again.
        set = await RefreshAsync(now, cancellationToken);
        return set.Keys.GetValueOrDefault(keyId);
    }

    private async ValueTask<KeySet> RefreshAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (url is null)
        {
            if (!warnedUnconfigured)
            {
                warnedUnconfigured = true;
                logger.LogWarning("Auth:Tokens:JwksUrl is not set: access tokens are refused on this data plane (API keys still work)");
            }
            return Empty;
        }

        Task<KeySet> fetch;
        lock (gate)
        {
            if (inflight is null)
            {
                // Too soon after the last attempt (successful or not): answer from the set in hand.
                if (now < lastAttempt + options.JwksMinimumRefreshInterval) return current;
                lastAttempt = now;
                // On the thread pool, not inline: a fetch that completed synchronously (a loopback answer already in the
                // socket buffer) would clear `inflight` in its finally before this assignment, leaving a completed task
                // here that every later refresh would reuse, so the set would never be fetched again. Started this
                // way, its finally waits for this lock, i.e. for the assignment.
                inflight = Task.Run(() => FetchAndKeepAsync(url));
            }
            fetch = inflight;
        }

        return await fetch.WaitAsync(cancellationToken);
    }

    // Runs without the caller's token: other requests share it, and the client's timeout bounds it.
    private async Task<KeySet> FetchAndKeepAsync(Uri from)
    {
        try
        {
            var document = await http.GetByteArrayAsync(from);
            var keys = Parse(document);
            if (keys.Count == 0) throw new FormatException("it lists no EC P-256 signing key (kty EC, crv P-256, with a kid)");
            var set = new KeySet(keys, clock.GetUtcNow());
            current = set;
            return set;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException or JsonException)
        {
            logger.LogWarning("Fetching the JWKS from {JwksUrl} failed ({Reason}); keeping the {KeyCount} keys fetched before", from, ex.Message, current.Keys.Count);
            return current;
        }
        finally
        {
            lock (gate) inflight = null;
        }
    }

    /// <summary>The usable keys of a JWKS document by kid; a key of another type, curve, use or algorithm is left out.</summary>
    public static FrozenDictionary<string, SecurityKey> Parse(ReadOnlySpan<byte> document)
    {
        using var json = JsonDocument.Parse(document.ToArray());
        if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("keys", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new FormatException("it is not a JWKS document (an object with a 'keys' array)");

        var keys = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var jwk in list.EnumerateArray())
        {
            if (jwk.ValueKind != JsonValueKind.Object) continue;
            if (Text(jwk, "kty") != "EC" || Text(jwk, "crv") != "P-256") continue;
            if (Text(jwk, "use") is { } use && use != "sig") continue;
            if (Text(jwk, "alg") is { } alg && alg != AccessTokenClaims.Algorithm) continue;
            if (Text(jwk, "kid") is not { Length: > 0 } kid || keys.ContainsKey(kid)) continue;
            if (PublicKey(Text(jwk, "x"), Text(jwk, "y")) is not { } ecdsa) continue;
            keys[kid] = new ECDsaSecurityKey(ecdsa) { KeyId = kid };
        }

        return keys.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string? Text(JsonElement jwk, string name) =>
        jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // ImportParameters checks the point is on the curve, so a crafted (x, y) is dropped here, not trusted later.
    private static ECDsa? PublicKey(string? x, string? y)
    {
        if (x is null || y is null) return null;
        try
        {
            var parameters = new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(x), Y = Base64UrlEncoder.DecodeBytes(y) },
            };
            if (parameters.Q.X!.Length != 32 || parameters.Q.Y!.Length != 32) return null;
            var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportParameters(parameters);
                return ecdsa;
            }
            catch (CryptographicException)
            {
                ecdsa.Dispose();
                return null;
            }
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public void Dispose() => http.Dispose();

    private sealed record KeySet(FrozenDictionary<string, SecurityKey> Keys, DateTimeOffset FetchedAt);
}
