using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

/// <summary>
/// The Bedrock keys the tests store. Workspace of A/B/C: <c>bedrock</c> is the fake's permanent key, <c>aws-bedrock</c>
/// the same key id with a wrong secret. Workspace of D: <c>bedrock</c> is a temporary key with its session token,
/// <c>aws-bedrock</c> a secret that is no AWS key at all.
/// </summary>
public static class BedrockSecrets
{
    public const string WrongSecret = "wrongSecretAccessKeyValue/0123456789abcd";
    public const string Malformed = "not-an-aws-key-but-sensitive-value-7f3a";

    public static async Task StoreAsync(LlmProxyFixture fixture)
    {
        var store = fixture.SecretStore;
        await store.PutAsync(Tenants.A.WorkspaceId, "bedrock", Key(FakeBedrockRuntime.AccessKeyId, FakeBedrockRuntime.SecretAccessKey), CancellationToken.None);
        await store.PutAsync(Tenants.A.WorkspaceId, "aws-bedrock", $"{FakeBedrockRuntime.AccessKeyId}:{WrongSecret}", CancellationToken.None);
        await store.PutAsync(Tenants.D.WorkspaceId, "bedrock",
            Key(FakeBedrockRuntime.TemporaryKeyId, FakeBedrockRuntime.TemporarySecret, FakeBedrockRuntime.SessionToken), CancellationToken.None);
        await store.PutAsync(Tenants.D.WorkspaceId, "aws-bedrock", Malformed, CancellationToken.None);
    }

    private static string Key(string id, string secret, string? token = null)
    {
        var json = new JsonObject { ["access_key_id"] = id, ["secret_access_key"] = secret };
        if (token is not null) json["session_token"] = token;
        return json.ToJsonString();
    }
}
