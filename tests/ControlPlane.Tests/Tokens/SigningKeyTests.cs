using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Tests.Tokens;

/// <summary>Signing keys at rest: sealed, named by their thumbprint, and the master key required outside development.</summary>
public sealed class SigningKeyStorageTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    [Fact]
    public async Task The_private_key_is_not_stored_in_clear()
    {
        var key = await cp.Services.GetRequiredService<SigningKeyRing>().SigningKeyAsync(CancellationToken.None);
        var d = key.ECDsa.ExportParameters(includePrivateParameters: true).D!;
        var pkcs8 = key.ECDsa.ExportPkcs8PrivateKey();

        await using var connection = await cp.Database.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Json, byte[] Sealed, string Kek)>(
            "SELECT row_to_json(s)::text, private_sealed, kek_id FROM signing_keys s")).ToList();

        var row = Assert.Single(rows);
        foreach (var form in new[] { Convert.ToHexStringLower(d), Convert.ToHexString(d), Convert.ToBase64String(d), Base64UrlEncoder.Encode(d), Convert.ToHexStringLower(pkcs8[..32]) })
            Assert.DoesNotContain(form, row.Json, StringComparison.Ordinal);
        Assert.Equal(-1, row.Sealed.AsSpan().IndexOf(d));
        Assert.StartsWith("kek-", row.Kek);
    }

    [Fact]
    public async Task The_kid_is_the_rfc7638_thumbprint_of_the_public_key()
    {
        using var client = cp.Client();
        var jwks = new JsonWebKeySet(await client.GetStringAsync("/.well-known/jwks.json"));

        var key = Assert.Single(jwks.Keys);
        Assert.Equal(Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()), key.Kid);
        Assert.False(key.HasPrivateKey);
    }

    [Fact]
    public async Task Production_without_a_cp_master_key_fails_at_startup_naming_the_setting()
    {
        var app = ControlPlaneApp.With(new Dictionary<string, string?> { ["ControlPlane:MasterKey"] = null });
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);
            Assert.Contains("ControlPlane:MasterKey is not configured", error.Message);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("c2hvcnQ=")]
    [InlineData("not base64 at all!")]
    public async Task A_malformed_cp_master_key_fails_at_startup_without_echoing_it(string key)
    {
        var app = ControlPlaneApp.With(new Dictionary<string, string?> { ["ControlPlane:MasterKey"] = key });
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(app.InitializeAsync);
            Assert.Contains("ControlPlane:MasterKey is not a base64-encoded 32-byte key", error.Message);
            Assert.DoesNotContain(key, error.Message);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}

/// <summary>Rotation with overlap, on a clock the test moves; each test has a control plane of its own.</summary>
public sealed class SigningKeyRotationTests : IAsyncLifetime
{
    private readonly ControlPlaneApp cp = new();

    public Task InitializeAsync() => cp.InitializeAsync();

    public Task DisposeAsync() => cp.DisposeAsync();

    [Fact]
    public async Task After_the_interval_a_new_key_signs_the_old_one_verifies_through_the_overlap_and_is_refused_after_it()
    {
        var admin = (cp.Bootstrap.AdminEmail, cp.Bootstrap.AdminPassword);
        var first = await cp.LoginAsync(admin.AdminEmail, admin.AdminPassword);
        var oldKid = ControlPlaneApp.HeaderValue(first.AccessToken, "kid");

        cp.Clock.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1));
        var lastOfOld = await cp.LoginAsync(admin.AdminEmail, admin.AdminPassword);
        Assert.Equal(oldKid, ControlPlaneApp.HeaderValue(lastOfOld.AccessToken, "kid"));

        cp.Clock.Advance(TimeSpan.FromMinutes(2));
        var firstOfNew = await cp.LoginAsync(admin.AdminEmail, admin.AdminPassword);
        var newKid = ControlPlaneApp.HeaderValue(firstOfNew.AccessToken, "kid");
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(new[] { newKid, oldKid }, await KidsAsync());
        Assert.Equal(HttpStatusCode.OK, await MeAsync(lastOfOld.AccessToken)); // in flight across the rotation: still valid
        Assert.Equal(HttpStatusCode.OK, await MeAsync(firstOfNew.AccessToken));

        // Past retirement + token lifetime (10 min) + skew (30 s): the old key is gone.
        cp.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(new[] { newKid }, await KidsAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(lastOfOld.AccessToken));
        var (token, error) = await cp.Services.GetRequiredService<AccessTokenValidator>().ValidateAsync(lastOfOld.AccessToken, CancellationToken.None);
        Assert.Null(token);
        Assert.Contains("unknown or retired", error);
        var later = await cp.LoginAsync(admin.AdminEmail, admin.AdminPassword);
        Assert.Equal(newKid, ControlPlaneApp.HeaderValue(later.AccessToken, "kid"));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(later.AccessToken));
    }

    [Fact]
    public async Task Instances_rotating_at_once_create_one_key()
    {
        var store = cp.Services.GetRequiredService<SigningKeyStore>();
        var later = cp.Clock.GetUtcNow() + TimeSpan.FromDays(45);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => store.EnsureActiveAsync(later, CancellationToken.None))));

        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM signing_keys WHERE created_at <= @later AND retires_at > @later", new { later }));
        // The first key ended long before: it is deleted, not merely hidden.
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM signing_keys"));
    }

    private async Task<string[]> KidsAsync()
    {
        using var client = cp.Client();
        using var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json"));
        return [.. jwks.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    private async Task<HttpStatusCode> MeAsync(string accessToken)
    {
        using var response = await cp.Client(bearer: accessToken).GetAsync("/v1/auth/me");
        return response.StatusCode;
    }
}
