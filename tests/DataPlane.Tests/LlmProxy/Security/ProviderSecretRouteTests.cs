using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.DataPlane.Tests.Definitions;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Security;

/// <summary>The provider-secrets routes with kind, base_url and settings, and rotation of bound rows.</summary>
public sealed class ProviderSecretRouteTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    private const string Key = "sk-route-test-key-0123456789abcd";
    private readonly HttpClient a = fixture.Client("key-a");

    [Fact]
    public async Task A_put_stores_kind_base_url_and_settings_and_every_read_shows_them_without_the_value()
    {
        await a.PutJsonAsync("/v1/provider-secrets/gateway", new
        {
            value = Key, kind = "openai", base_url = "https://93.184.215.14/v1", settings = new { organization = "org-1" },
        });

        foreach (var view in new[] { await a.GetJsonAsync("/v1/provider-secrets/gateway"), (await a.GetJsonAsync("/v1/provider-secrets")).GetProperty("secrets").EnumerateArray().Single(s => s.GetProperty("provider").GetString() == "gateway") })
        {
            Assert.Equal("openai", view.GetProperty("kind").GetString());
            Assert.Equal("https://93.184.215.14/v1", view.GetProperty("base_url").GetString());
            Assert.Equal("org-1", view.GetProperty("settings").GetProperty("organization").GetString());
            Assert.DoesNotContain("0123456789abcd", view.GetRawText());
        }
    }

    [Fact]
    public async Task No_route_changes_a_base_url_without_the_key_being_given_again()
    {
        await a.PutJsonAsync("/v1/provider-secrets/local-llm", new { value = Key, kind = "openai-compatible", base_url = "https://93.184.215.14/v1" });

        var refused = await a.PutJsonAsync("/v1/provider-secrets/local-llm",
            new { kind = "openai-compatible", base_url = "https://93.184.215.15/v1" }, HttpStatusCode.BadRequest);
        var patched = await a.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/provider-secrets/local-llm")
        {
            Content = new StringContent("""{"base_url":"https://93.184.215.15/v1"}""", System.Text.Encoding.UTF8, "application/json"),
        });

        Assert.True(refused.GetProperty("errors").TryGetProperty("value", out _));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, patched.StatusCode);
        Assert.Equal("https://93.184.215.14/v1", (await a.GetJsonAsync("/v1/provider-secrets/local-llm")).GetProperty("base_url").GetString());
    }

    [Fact]
    public async Task A_put_with_a_private_base_url_or_an_unknown_setting_is_a_400_naming_the_field()
    {
        var privateUrl = await a.PutJsonAsync("/v1/provider-secrets/local-llm2",
            new { value = Key, kind = "openai-compatible", base_url = "http://[::ffff:169.254.169.254]/v1" }, HttpStatusCode.BadRequest);
        var unknownSetting = await a.PutJsonAsync("/v1/provider-secrets/azure",
            new { value = Key, base_url = "https://93.184.215.14/", settings = new { api_verison = "2024-10-21" } }, HttpStatusCode.BadRequest);
        var notAnObject = await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = Key, settings = "organization=x" }, HttpStatusCode.BadRequest);

        Assert.Contains("169.254.169.254", privateUrl.GetProperty("errors").GetProperty("base_url")[0].GetString());
        Assert.True(unknownSetting.GetProperty("errors").TryGetProperty("settings.api_verison", out _));
        Assert.True(notAnObject.GetProperty("errors").TryGetProperty("settings", out _));
    }

    [Fact]
    public async Task Rotation_rewraps_a_bound_row_which_then_opens_under_the_new_master_key_alone()
    {
        var workspace = Guid.NewGuid();
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var newKey = RandomNumberGenerator.GetBytes(32);
        await fixture.SecretStore(oldKey).PutAsync(workspace, "vertex", new ProviderSecretInput(
            """{"type":"service_account"}""", null, "https://93.184.215.14/", new() { ["project"] = "p1", ["location"] = "europe-west4" }), CancellationToken.None);

        var result = await fixture.SecretStore(newKey, oldKey).RotateAsync(workspace, CancellationToken.None);
        var credential = await fixture.SecretStore(newKey).GetCredentialAsync(workspace, "vertex", CancellationToken.None);

        Assert.Equal(1, result.Rewrapped);
        Assert.Equal("""{"type":"service_account"}""", credential!.Secret);
        Assert.Equal("europe-west4", credential.Settings["location"]!.ToString());
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(credential.Settings.ToJsonString()).RootElement.GetProperty("project").ValueKind);
    }
}
