using System.Net;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Auth;

/// <summary>
/// The data plane's JWKS cache against a real local HTTP server (counting its fetches): one fetch serves many lookups,
/// an unknown kid refreshes at most once per interval, concurrent misses share one fetch, a failed fetch keeps the
/// last good set, a key rotated out is gone after the next refresh, and only EC P-256 signing keys are kept.
/// </summary>
[Trait("Servers", "None")]
public sealed class JwksKeySourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(10);
    private readonly TestTokens first = new(keyId: "first-key-0001");
    private readonly TestTokens second = new(keyId: "second-key-0002");
    private readonly ManualClock clock = new();
    private JwksServer server = null!;
    private JwksKeySource source = null!;

    public async Task InitializeAsync()
    {
        server = await JwksServer.StartAsync(first);
        source = new JwksKeySource(
            new AccessTokenOptions { JwksUrl = server.Url.ToString(), JwksMinimumRefreshInterval = Interval, JwksCacheDuration = CacheFor },
            clock, NullLogger<JwksKeySource>.Instance);
    }

    [Fact]
    public async Task One_fetch_serves_every_lookup_of_a_known_kid_until_the_cache_duration_ends()
    {
        for (var i = 0; i < 5; i++) Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(1, server.Requests);

        clock.Advance(CacheFor + TimeSpan.FromSeconds(1));
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task An_unknown_kid_refreshes_the_set_at_most_once_per_interval()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        clock.Advance(Interval);

        Assert.Null(await source.FindAsync("forged-kid-00001", CancellationToken.None));
        Assert.Equal(2, server.Requests);
        for (var i = 0; i < 10; i++) Assert.Null(await source.FindAsync($"forged-kid-{i:00000}x", CancellationToken.None));
        Assert.Equal(2, server.Requests);

        clock.Advance(Interval);
        Assert.Null(await source.FindAsync("forged-kid-99999", CancellationToken.None));
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task A_key_added_to_the_set_is_found_on_its_first_use_after_the_interval()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        server.Serve(first, second);
        clock.Advance(Interval);

        var found = await source.FindAsync(second.KeyId, CancellationToken.None);

        Assert.Equal(second.KeyId, found?.KeyId);
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_lookups_of_an_unknown_kid_share_one_fetch()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        server.Serve(first, second);
        clock.Advance(Interval);
        server.Hold();

        var lookups = Enumerable.Range(0, 25).Select(_ => source.FindAsync(second.KeyId, CancellationToken.None).AsTask()).ToList();
        await Eventually.ValueAsync(() => Task.FromResult(server.Requests), n => n >= 2, "the refresh to reach the JWKS server");
        server.Release();
        var found = await Task.WhenAll(lookups);

        Assert.All(found, key => Assert.Equal(second.KeyId, key?.KeyId));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task A_failed_fetch_keeps_the_last_good_set_and_still_refuses_unknown_kids()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        server.Fail(HttpStatusCode.InternalServerError);
        clock.Advance(CacheFor + TimeSpan.FromSeconds(1));

        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(2, server.Requests);
        Assert.Null(await source.FindAsync(second.KeyId, CancellationToken.None));

        // A document that is no JWKS counts as a failure too.
        server.Fail(0);
        server.ServeRaw("""{"keys": "not a list"}""");
        clock.Advance(Interval);
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task A_key_rotated_out_of_the_set_is_refused_after_the_next_refresh()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        server.Serve(second);
        clock.Advance(Interval);

        Assert.NotNull(await source.FindAsync(second.KeyId, CancellationToken.None));
        Assert.Null(await source.FindAsync(first.KeyId, CancellationToken.None));
    }

    [Fact]
    public async Task A_document_larger_than_the_limit_is_not_read_and_the_last_set_stays()
    {
        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        server.ServeRaw("""{"keys":[],"padding":""" + "\"" + new string('x', JwksKeySource.MaxDocumentBytes + 10) + "\"}");
        clock.Advance(CacheFor + TimeSpan.FromSeconds(1));

        Assert.NotNull(await source.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public void Only_EC_P256_signing_keys_with_a_kid_and_a_point_on_the_curve_are_kept()
    {
        var good = first.PublicJwk;
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        var p384Jwk = Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(p384) { KeyId = "p384-key-0001" });
        var offCurveX = good.X[..^2] + (good.X[^2] == 'A' ? "B" : "A") + good.X[^1];
        var document = System.Text.Json.JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "EC", crv = "P-256", x = good.X, y = good.Y, kid = good.Kid, use = "sig", alg = "ES256" },
                new { kty = "EC", crv = "P-256", x = good.X, y = good.Y, kid = "no-use-no-alg1" },
                new { kty = "EC", crv = "P-256", x = good.X, y = good.Y, kid = "encryption-key", use = "enc" },
                new { kty = "EC", crv = "P-256", x = good.X, y = good.Y, kid = "rs256-labelled", alg = "RS256" },
                new { kty = "EC", crv = "P-256", x = good.X, y = good.Y, kid = "" },
                new { kty = "EC", crv = "P-256", x = offCurveX, y = good.Y, kid = "off-the-curve1" },
                new { kty = "EC", crv = "P-384", x = p384Jwk.X, y = p384Jwk.Y, kid = "p384-key-0001" },
                new { kty = "RSA", n = "sXch", e = "AQAB", kid = "rsa-key-000001" },
                new { kty = "oct", k = "c2VjcmV0", kid = "hmac-key-00001" },
            },
        });

        var keys = JwksKeySource.Parse(System.Text.Encoding.UTF8.GetBytes(document));

        Assert.Equal(new[] { good.Kid, "no-use-no-alg1" }.Order(StringComparer.Ordinal), keys.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Without_a_JWKS_URL_every_kid_is_unknown_and_nothing_is_fetched()
    {
        using var unconfigured = new JwksKeySource(new AccessTokenOptions(), clock, NullLogger<JwksKeySource>.Instance);

        Assert.Null(await unconfigured.FindAsync(first.KeyId, CancellationToken.None));
        Assert.Equal(0, server.Requests);
    }

    public async Task DisposeAsync()
    {
        source.Dispose();
        await server.DisposeAsync();
        first.Dispose();
        second.Dispose();
    }
}
