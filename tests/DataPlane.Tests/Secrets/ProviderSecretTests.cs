using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.Platform.Security;
using HoneyHive.DataPlane.Tests.Definitions;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.DataPlane.Tests.Secrets;

public sealed class ProviderSecretTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    private const string OpenAiKey = "sk-proj-Zq81xTmVb07LkP3eWnR5sUy2AaBbCcDd9wxyz";

    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b"); // same workspace as A
    private readonly HttpClient d = fixture.Client("key-d"); // another workspace

    [Fact]
    public async Task Reads_return_only_the_masked_value_and_the_server_side_read_the_plaintext()
    {
        var put = await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = OpenAiKey });
        Assert.Equal("openai", put.GetProperty("provider").GetString());
        Assert.Equal("sk-proj-...wxyz", put.GetProperty("masked_value").GetString());

        foreach (var body in new[]
        {
            (await a.GetJsonAsync("/v1/provider-secrets/openai")).GetRawText(),
            (await a.GetJsonAsync("/v1/provider-secrets/OpenAI")).GetRawText(),
            (await a.GetJsonAsync("/v1/provider-secrets")).GetRawText(),
        })
        {
            Assert.Contains("sk-proj-...wxyz", body);
            Assert.DoesNotContain(OpenAiKey, body);
            Assert.DoesNotContain("9wxyz", body); // no more than the last 4 characters
        }

        var secrets = fixture.Services.GetRequiredService<IProviderSecrets>();
        Assert.Equal(OpenAiKey, await secrets.GetAsync(Tenants.A.WorkspaceId, "openai", CancellationToken.None));
        Assert.Null(await secrets.GetAsync(Tenants.A.WorkspaceId, "cohere", CancellationToken.None));
    }

    [Fact]
    public async Task The_table_holds_ciphertext_only()
    {
        const string value = "sk-ant-api03-plaintext-must-not-be-stored-7f3c";
        await a.PutJsonAsync("/v1/provider-secrets/anthropic", new { value });

        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<string>(
            "SELECT row_to_json(s)::text FROM provider_secrets s WHERE workspace_id = @workspace AND provider = 'anthropic'",
            new { workspace = Tenants.A.WorkspaceId });
        Assert.DoesNotContain("plaintext-must-not-be-stored", row);
        var ciphertext = await connection.QuerySingleAsync<byte[]>(
            "SELECT ciphertext || wrapped_key FROM provider_secrets WHERE workspace_id = @workspace AND provider = 'anthropic'",
            new { workspace = Tenants.A.WorkspaceId });
        Assert.Equal(-1, ciphertext.AsSpan().IndexOf(Encoding.UTF8.GetBytes("plaintext-must-not-be-stored")));
        Assert.Equal(-1, ciphertext.AsSpan().IndexOf(fixture.MasterKey));
        var kekId = await connection.QuerySingleAsync<string>(
            "SELECT kek_id FROM provider_secrets WHERE workspace_id = @workspace AND provider = 'anthropic'", new { workspace = Tenants.A.WorkspaceId });
        Assert.Equal(MasterKeyRing.KeyId(fixture.MasterKey), kekId);
    }

    [Fact]
    public async Task Secrets_belong_to_the_workspace()
    {
        await a.PutJsonAsync("/v1/provider-secrets/bedrock", new { value = "AKIAEXAMPLEKEY0123456789" });

        // Projects of the same workspace share provider keys; another workspace sees nothing.
        Assert.Equal("AKIA...6789", (await b.GetJsonAsync("/v1/provider-secrets/bedrock")).GetProperty("masked_value").GetString());
        await d.GetJsonAsync("/v1/provider-secrets/bedrock", HttpStatusCode.NotFound);
        Assert.DoesNotContain((await d.GetJsonAsync("/v1/provider-secrets")).GetProperty("secrets").EnumerateArray(), s => s.GetProperty("provider").GetString() == "bedrock");
        await d.DeleteJsonAsync("/v1/provider-secrets/bedrock", HttpStatusCode.NotFound);
        await d.PutJsonAsync("/v1/provider-secrets/bedrock", new { value = "AKIAOTHERWORKSPACE000000" });

        var secrets = fixture.Services.GetRequiredService<IProviderSecrets>();
        Assert.Equal("AKIAEXAMPLEKEY0123456789", await secrets.GetAsync(Tenants.A.WorkspaceId, "bedrock", CancellationToken.None));
        Assert.Equal("AKIAOTHERWORKSPACE000000", await secrets.GetAsync(Tenants.D.WorkspaceId, "bedrock", CancellationToken.None));

        Assert.True((await a.DeleteJsonAsync("/v1/provider-secrets/bedrock")).GetProperty("deleted").GetBoolean());
        await a.GetJsonAsync("/v1/provider-secrets/bedrock", HttpStatusCode.NotFound);
        Assert.Equal("AKIAOTHERWORKSPACE000000", await secrets.GetAsync(Tenants.D.WorkspaceId, "bedrock", CancellationToken.None));
    }

    [Fact]
    public async Task A_row_moved_to_another_workspace_or_provider_does_not_decrypt()
    {
        var store = fixture.SecretStore(fixture.MasterKey);
        var from = Guid.NewGuid();
        var to = Guid.NewGuid();
        await store.PutAsync(from, "openai", OpenAiKey, CancellationToken.None);
        await store.PutAsync(from, "mistral", "mistral-key-0123456789abcdef", CancellationToken.None);

        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE provider_secrets SET workspace_id = @to WHERE workspace_id = @from AND provider = 'openai'", new { from, to });
        await Assert.ThrowsAsync<ProviderSecretException>(() => store.GetAsync(to, "openai", CancellationToken.None));

        await connection.ExecuteAsync("UPDATE provider_secrets SET provider = 'groq' WHERE workspace_id = @from AND provider = 'mistral'", new { from });
        await Assert.ThrowsAsync<ProviderSecretException>(() => store.GetAsync(from, "groq", CancellationToken.None));
    }

    [Fact]
    public async Task Rotation_rewraps_under_the_new_master_key_and_old_key_ids_stay_readable_meanwhile()
    {
        var workspace = Guid.NewGuid();
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var newKey = RandomNumberGenerator.GetBytes(32);
        await fixture.SecretStore(oldKey).PutAsync(workspace, "openai", OpenAiKey, CancellationToken.None);
        await fixture.SecretStore(oldKey).PutAsync(workspace, "anthropic", "sk-ant-0123456789abcdefghij", CancellationToken.None);

        // The operator sets the new master key and keeps the old one as a previous key.
        var rotated = fixture.SecretStore(newKey, oldKey);
        Assert.Equal(OpenAiKey, await rotated.GetAsync(workspace, "openai", CancellationToken.None));

        var result = await rotated.RotateAsync(workspace, CancellationToken.None);
        Assert.Equal(2, result.Rewrapped);
        Assert.Equal(0, result.Unreadable);
        Assert.Equal(MasterKeyRing.KeyId(newKey), result.KeyId);
        Assert.Equal(0, (await rotated.RotateAsync(workspace, CancellationToken.None)).Rewrapped);

        // Now the old key can go: the new key alone reads everything, the old alone nothing.
        var onlyNew = fixture.SecretStore(newKey);
        Assert.Equal(OpenAiKey, await onlyNew.GetAsync(workspace, "openai", CancellationToken.None));
        Assert.Equal("sk-ant-0123456789abcdefghij", await onlyNew.GetAsync(workspace, "anthropic", CancellationToken.None));
        await Assert.ThrowsAsync<ProviderSecretException>(() => fixture.SecretStore(oldKey).GetAsync(workspace, "openai", CancellationToken.None));

        // Rows under a key nobody configured are reported, not touched.
        var lost = fixture.SecretStore(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(2, (await lost.RotateAsync(workspace, CancellationToken.None)).Unreadable);
    }

    [Fact]
    public async Task The_rotate_route_rewraps_the_callers_workspace()
    {
        await a.PutJsonAsync("/v1/provider-secrets/vertex", new { value = "{\"type\":\"service_account\",\"private_key\":\"xyz\"}" });
        var result = await a.PostJsonAsync("/v1/provider-secrets/rotate", null);
        Assert.Equal(0, result.GetProperty("rewrapped").GetInt32()); // already under the current key
        Assert.Equal(MasterKeyRing.KeyId(fixture.MasterKey), result.GetProperty("key_id").GetString());
        var secrets = fixture.Services.GetRequiredService<IProviderSecrets>();
        Assert.Equal("{\"type\":\"service_account\",\"private_key\":\"xyz\"}", await secrets.GetAsync(Tenants.A.WorkspaceId, "vertex", CancellationToken.None));
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field()
    {
        (await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = "" }, HttpStatusCode.BadRequest)).AssertNamesField("value");
        (await a.PutJsonAsync("/v1/provider-secrets/openai", new { }, HttpStatusCode.BadRequest)).AssertNamesField("value");
        (await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = 42 }, HttpStatusCode.BadRequest)).AssertNamesField("value");
        (await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = new string('x', 16_385) }, HttpStatusCode.BadRequest)).AssertNamesField("value");
        (await a.PutJsonAsync("/v1/provider-secrets/openai", new { value = "sk-1234567890abcdef", key = "x" }, HttpStatusCode.BadRequest)).AssertNamesField("key");
        (await a.PutJsonAsync("/v1/provider-secrets/bad%20name", new { value = "sk-1234567890abcdef" }, HttpStatusCode.BadRequest)).AssertNamesField("provider");
        (await a.GetJsonAsync("/v1/provider-secrets?limit=0", HttpStatusCode.BadRequest)).AssertNamesField("limit");
        var problem = await a.PutJsonAsync("/v1/provider-secrets/bad%20name", new { value = "sk-secret-value-in-a-bad-request" }, HttpStatusCode.BadRequest);
        Assert.DoesNotContain("sk-secret-value-in-a-bad-request", problem.GetRawText());
    }

    [Theory]
    [InlineData("short-key", "****")]
    [InlineData("sk-fake-test-value-WXYZ", "sk-...WXYZ")]
    [InlineData("sk-ant-api03-0123456789abcd", "sk-ant-...abcd")]
    [InlineData("plainsecretvalue12345678", "...5678")]
    public void Masks_show_a_known_prefix_and_at_most_the_last_four_characters(string value, string masked) =>
        Assert.Equal(masked, SecretMask.Mask(value));
}
