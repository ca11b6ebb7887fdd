using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Security;

/// <summary>The SSRF guard as the proxy's callers meet it: at save (base_url), at connect and on a provider's redirects.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class ProxySsrfTests(LlmProxyFixture fixture)
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly HttpClient a = fixture.Client("key-a");

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://2130706434/v1")] // 127.0.0.2 in decimal: loopback, but not the allowlisted 127.0.0.1
    [InlineData("http://[::ffff:127.0.0.2]/v1")] // the same, IPv4-mapped
    [InlineData("http://[fd00:ec2::254]/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://private-name.test/v1")] // a name resolving to a private address
    public async Task A_base_url_at_a_private_or_metadata_address_is_refused_when_saved(string url)
    {
        fixture.Resolver.Map("private-name.test", "10.1.2.3");

        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => fixture.SecretStore.PutAsync(Tenants.A.WorkspaceId, "box",
            new ProviderSecretInput("sk-box-0123456789abcdef", ProviderKinds.OpenAiCompatible, url), Ct));

        var message = Assert.Single(refused.Errors["base_url"]);
        Assert.Contains("HH_ALLOWED_PRIVATE_HOSTS", message);
        Assert.Null(await fixture.SecretStore.GetInfoAsync(Tenants.A.WorkspaceId, "box", Ct));
    }

    [Fact]
    public async Task A_provider_redirect_to_the_metadata_address_fails_as_upstream_address_refused_without_retries()
    {
        fixture.OpenAi.Script("redirect-to-metadata", async (context, _) =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
            await Task.CompletedTask;
        });

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/redirect-to-metadata"));
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_address_refused", error["code"]!.ToString());
        Assert.Contains("169.254.169.254", error["message"]!.ToString());
        Assert.Contains("HH_ALLOWED_PRIVATE_HOSTS", error["message"]!.ToString());
        Assert.Single(fixture.OpenAi.RequestsFor("redirect-to-metadata")); // not retried: a refusal does not heal
    }

    [Fact]
    public async Task A_provider_redirect_to_another_origin_arrives_without_the_workspace_key()
    {
        await using var elsewhere = await FakeOpenAiUpstream.StartAsync();
        fixture.OpenAi.Script("redirect-away", async (context, _) =>
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = elsewhere.BaseUrl + "/chat/completions";
            await Task.CompletedTask;
        });

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("openai/redirect-away", "where am I"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + LlmProxyFixture.OpenAiKey, Assert.Single(fixture.OpenAi.RequestsFor("redirect-away")).Headers["authorization"]);
        var landed = Assert.Single(elsewhere.Requests);
        Assert.Equal("where am I", landed.Body["messages"]![0]!["content"]!.ToString()); // 307 kept the POST and its body
        Assert.False(landed.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task A_base_url_whose_name_rebinds_to_a_private_address_is_refused_at_connect()
    {
        var port = new Uri(fixture.OpenAi.BaseUrl).Port;
        fixture.Resolver.Map("rebinding.test", "93.184.215.14"); // public when the key is saved
        await fixture.SecretStore.PutAsync(Tenants.A.WorkspaceId, "rebinding",
            new ProviderSecretInput("sk-rebinding-0123456789", ProviderKinds.OpenAiCompatible, $"http://rebinding.test:{port}/v1"), Ct);
        fixture.Resolver.Map("rebinding.test", "169.254.169.254"); // and the metadata address when called

        var response = await a.PostAsJsonAsync("/v1/chat/completions", Chat("rebinding/rebound-model"));
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_address_refused", error["code"]!.ToString());
        Assert.Contains("rebinding.test", error["message"]!.ToString());
        Assert.DoesNotContain("sk-rebinding", error.ToJsonString());
    }

    private static object Chat(string model, string text = "hi") => new { model, messages = new[] { new { role = "user", content = text } } };
}
