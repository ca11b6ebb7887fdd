using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using HoneyHive.Platform.Security;

namespace HoneyHive.ControlPlane.Tests.Tokens;

/// <summary>
/// Rotating ControlPlane:MasterKey: a second instance over the same cpdb with the new key (the old one in
/// PreviousMasterKeys) re-seals the signing key and keeps signing with it; one without the old key cannot open it,
/// so it retires that key and signs with a new one, while tokens of the old key still verify through their overlap.
/// </summary>
public sealed class MasterKeyRotationTests : IAsyncLifetime
{
    private readonly ControlPlaneApp first = new();

    public Task InitializeAsync() => first.InitializeAsync();

    public Task DisposeAsync() => first.DisposeAsync();

    [Fact]
    public async Task After_the_master_key_rotates_the_signing_key_is_resealed_under_the_new_one_and_keeps_signing()
    {
        var kid = ControlPlaneApp.HeaderValue((await SignInAsync(first)).AccessToken, "kid");
        var oldKey = first.Settings["ControlPlane:MasterKey"]!;
        var newKey = RandomNumberGenerator.GetBytes(32);

        await using (var second = await StartAsync(new()
        {
            ["ControlPlane:MasterKey"] = Convert.ToBase64String(newKey),
            ["ControlPlane:PreviousMasterKeys:0"] = oldKey,
        }))
        {
            Assert.Equal(kid, ControlPlaneApp.HeaderValue((await SignInAsync(second.App)).AccessToken, "kid"));
        }

        await using var connection = await first.Database.OpenConnectionAsync();
        Assert.Equal(MasterKeyRing.KeyId(newKey), await connection.ExecuteScalarAsync<string>("SELECT kek_id FROM signing_keys WHERE kid = @kid", new { kid }));

        // The old master key can now be dropped: an instance with only the new one signs with the same key.
        await using var third = await StartAsync(new() { ["ControlPlane:MasterKey"] = Convert.ToBase64String(newKey) });
        Assert.Equal(kid, ControlPlaneApp.HeaderValue((await SignInAsync(third.App)).AccessToken, "kid"));
    }

    [Fact]
    public async Task A_signing_key_whose_master_key_is_gone_is_retired_and_a_new_one_signs_while_its_tokens_still_verify()
    {
        var before = await SignInAsync(first);
        var oldKid = ControlPlaneApp.HeaderValue(before.AccessToken, "kid");

        await using var second = await StartAsync(new() { ["ControlPlane:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        var after = await SignInAsync(second.App);

        Assert.NotEqual(oldKid, ControlPlaneApp.HeaderValue(after.AccessToken, "kid"));
        using var client = second.App.Client(bearer: before.AccessToken);
        using var me = await client.GetAsync("/v1/auth/me");
        Assert.Equal(System.Net.HttpStatusCode.OK, me.StatusCode);
        using var jwks = JsonDocument.Parse(await second.App.Client().GetStringAsync("/.well-known/jwks.json"));
        Assert.Equal(2, jwks.RootElement.GetProperty("keys").GetArrayLength());
    }

    private Task<SignedIn> SignInAsync(ControlPlaneApp app) => app.LoginAsync(first.Bootstrap.AdminEmail, first.Bootstrap.AdminPassword);

    private async Task<Instance> StartAsync(Dictionary<string, string?> settings)
    {
        settings["ConnectionStrings:cpdb"] = first.ConnectionString;
        var app = ControlPlaneApp.With(settings);
        await app.InitializeAsync();
        return new Instance(app);
    }

    private sealed class Instance(ControlPlaneApp app) : IAsyncDisposable
    {
        public ControlPlaneApp App => app;

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
