using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Security;

/// <summary>Kind, base URL and settings stored beside a provider key: validated at save, bound to the sealed value.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class ProviderSecretSettingsTests(LlmProxyFixture fixture)
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private const string Key = "sk-settings-test-0123456789abcdef";

    public static TheoryData<string, string?, string?, string?, string> Invalid => new()
    {
        // provider, kind, base_url, settings JSON, the field the 400 names
        { "azure", null, "https://93.184.215.14/", """{"deployment":"gpt-4o"}""", "settings.deployment" },
        { "azure", null, "https://93.184.215.14/", """{"api_version":7}""", "settings.api_version" },
        { "azure", null, null, """{"api_version":"2024-10-21"}""", "base_url" },
        { "anthropic", null, null, """{"region":"us-east-1"}""", "settings.region" },
        { "bedrock", null, null, """{"location":"us-east-1"}""", "settings.location" },
        { "ollama-box", null, "http://127.0.0.1:11434/v1", null, "kind" },
        { "ollama-box", "openai-compatible", null, null, "base_url" },
        { "ollama-box", "cohere", "http://127.0.0.1:11434/v1", null, "kind" },
        { "openai", null, null, "{\"organization\":\"" + new string('o', 5000) + "\"}", "settings" },
        { "openai", null, "ftp://93.184.215.14/", null, "base_url" },
        { "gateway", "openai", null, """{"organisation":"org-1"}""", "settings.organisation" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Settings_a_kind_does_not_know_and_missing_kinds_or_base_urls_are_refused_naming_the_field(
        string provider, string? kind, string? baseUrl, string? settings, string field)
    {
        var input = new ProviderSecretInput(Key, kind, baseUrl, settings is null ? null : JsonNode.Parse(settings)!.AsObject());

        var workspace = Guid.NewGuid(); // a workspace of its own: the fixture's tenants hold keys other tests use

        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => fixture.SecretStore.PutAsync(workspace, provider, input, Ct));

        Assert.Contains(field, refused.Errors.Keys);
        Assert.Null(await fixture.SecretStore.GetInfoAsync(workspace, provider, Ct));
    }

    [Fact]
    public async Task Kind_base_url_and_settings_come_back_with_the_credential_and_reads_never_show_the_value()
    {
        var workspace = Guid.NewGuid();
        await fixture.SecretStore.PutAsync(workspace, "azure", new ProviderSecretInput(
            Key, null, "https://93.184.215.14/", new JsonObject { ["api_version"] = "2024-10-21" }), Ct);

        var credential = await fixture.Secrets.GetCredentialAsync(workspace, "azure", Ct);
        var info = await fixture.SecretStore.GetInfoAsync(workspace, "azure", Ct);

        Assert.Equal(Key, credential!.Secret);
        Assert.Equal("https://93.184.215.14/", credential.BaseUrl);
        Assert.Equal("2024-10-21", credential.Settings["api_version"]!.ToString());
        Assert.Equal("azure", info!.Kind);
        Assert.Equal("https://93.184.215.14/", info.BaseUrl);
        Assert.Equal("2024-10-21", info.Settings["api_version"]!.ToString());
        Assert.DoesNotContain("0123456789abcdef", info.ToString());
        Assert.Null(await fixture.Secrets.GetCredentialAsync(Guid.NewGuid(), "azure", Ct)); // another workspace never sees it
    }

    [Theory]
    [InlineData("base_url", "'http://attacker.test/v1'")]
    [InlineData("kind", "'openai'")]
    [InlineData("settings", "'{\"api_version\":\"x\"}'::jsonb")]
    public async Task A_row_whose_binding_was_altered_in_the_database_no_longer_decrypts(string column, string value)
    {
        var provider = "bound-" + column.Replace('_', '-');
        var port = new Uri(fixture.OpenAi.BaseUrl).Port;
        await fixture.SecretStore.PutAsync(Tenants.A.WorkspaceId, provider, new ProviderSecretInput(
            Key, ProviderKinds.OpenAiCompatible, $"http://127.0.0.1:{port}/v1"), Ct);

        await UpdateAsync($"UPDATE provider_secrets SET {column} = {value} WHERE provider = '{provider}'");

        await Assert.ThrowsAsync<ProviderSecretException>(() => fixture.Secrets.GetCredentialAsync(Tenants.A.WorkspaceId, provider, Ct));
        var response = await fixture.Client("key-a").PostAsJsonAsync("/v1/chat/completions",
            new { model = provider + "/m", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain(fixture.OpenAi.Requests, r => r.Headers.GetValueOrDefault("authorization") == "Bearer " + Key);
    }

    [Fact]
    public async Task A_row_stored_without_kind_or_base_url_keeps_decrypting_and_gains_no_binding()
    {
        var workspace = Guid.NewGuid();
        await fixture.SecretStore.PutAsync(workspace, "anthropic", Key, Ct);

        var credential = await fixture.Secrets.GetCredentialAsync(workspace, "anthropic", Ct);

        Assert.Equal(Key, credential!.Secret);
        Assert.Null(credential.Kind); // implied by the name, not stored
        Assert.Null(credential.BaseUrl);
        Assert.Empty(credential.Settings);
    }

    [Fact]
    public async Task A_put_or_delete_is_seen_by_the_very_next_credential_read_despite_the_cache()
    {
        var workspace = Guid.NewGuid();
        await fixture.SecretStore.PutAsync(workspace, "openai", Key, Ct);
        Assert.Equal(Key, (await fixture.Secrets.GetCredentialAsync(workspace, "openai", Ct))!.Secret); // now cached

        await fixture.SecretStore.PutAsync(workspace, "openai", Key + "-rotated", Ct);
        Assert.Equal(Key + "-rotated", (await fixture.Secrets.GetCredentialAsync(workspace, "openai", Ct))!.Secret);

        await fixture.SecretStore.DeleteAsync(workspace, "openai", Ct);
        Assert.Null(await fixture.Secrets.GetCredentialAsync(workspace, "openai", Ct));
    }

    [Fact]
    public async Task A_key_under_a_name_implying_no_kind_is_stored_but_the_proxy_refuses_it_until_a_kind_is_given()
    {
        await fixture.SecretStore.PutAsync(Tenants.A.WorkspaceId, "kindless-vendor", Key, Ct);

        var response = await fixture.Client("key-a").PostAsJsonAsync("/v1/chat/completions",
            new { model = "kindless-vendor/m", messages = new[] { new { role = "user", content = "hi" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no kind", error["message"]!.ToString());
        Assert.DoesNotContain("0123456789abcdef", error.ToJsonString());
    }

    private async Task UpdateAsync(string sql)
    {
        var dpdb = fixture.Services.GetRequiredKeyedService<NpgsqlDataSource>(DataPlaneApiModule.Database);
        await using var connection = await dpdb.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteAsync(sql.Replace("WHERE", $"WHERE workspace_id = '{Tenants.A.WorkspaceId}' AND", StringComparison.Ordinal)));
    }
}
