using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>
/// The proxy in front of Vertex AI: the stored secret is a service-account JSON key whose token_uri is the fake's
/// token endpoint, which verifies the JWT assertion's signature before issuing the bearer token the API then checks.
/// </summary>
[Collection(LlmProxyCollection.Name)]
public sealed class VertexTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient d = fixture.Client("key-d");

    // A key file of its own per test: tokens are cached per key, so each test sees its own first token request.
    public async Task InitializeAsync() =>
        await fixture.SecretStore.PutAsync(Tenants.D.WorkspaceId, "vertex", fixture.Google.ServiceAccountJson(Guid.NewGuid().ToString("N")), CancellationToken.None);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_completion_uses_a_token_from_the_service_account_key_and_the_project_and_location_path_and_reuses_the_token()
    {
        var tokensBefore = fixture.Google.TokensIssued;
        var first = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "vertex/gemini-vertex", messages = new[] { new { role = "user", content = "hello vertex" } } });
        var second = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "vertex/gemini-vertex", messages = new[] { new { role = "user", content = "again" } } });
        var body = (await first.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("echo: hello vertex", body["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal(13, body["usage"]!["total_tokens"]!.GetValue<int>());
        var sent = fixture.Google.RequestsFor("gemini-vertex");
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r => Assert.Equal("/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-vertex:generateContent", r.Path));
        Assert.StartsWith("Bearer ya29.test-", sent[0].Headers["authorization"], StringComparison.Ordinal);
        Assert.Equal(sent[0].Headers["authorization"], sent[1].Headers["authorization"]);
        Assert.Equal(tokensBefore + 1, fixture.Google.TokensIssued);
        Assert.DoesNotContain("x-goog-api-key", sent[0].Headers.Keys);
    }

    [Fact]
    public async Task A_stream_goes_to_stream_generate_content_with_sse_and_ends_with_usage()
    {
        var events = await ChatCompletionsTests.ReadEventsAsync(await d.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "vertex/gemini-vertex-stream", stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "streamed from vertex" } },
        }));

        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("echo: streamed from vertex", string.Concat(chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString())));
        Assert.Equal(13, chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.EndsWith("/models/gemini-vertex-stream:streamGenerateContent?alt=sse", Assert.Single(fixture.Google.RequestsFor("gemini-vertex-stream")).Path);
    }

    [Fact]
    public async Task Embeddings_go_through_predict_with_token_counts_as_usage()
    {
        var response = await d.PostAsJsonAsync("/v1/embeddings", new { model = "vertex/text-embedding-005", input = new[] { "alpha", "beta" } });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, body["data"]!.AsArray().Count);
        Assert.Equal(6, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        var sent = Assert.Single(fixture.Google.RequestsFor("text-embedding-005"));
        Assert.EndsWith("/models/text-embedding-005:predict", sent.Path);
        Assert.Equal(["alpha", "beta"], sent.Body["instances"]!.AsArray().Select(i => i!["content"]!.ToString()));
    }

    [Fact]
    public async Task A_key_whose_assertion_google_cannot_verify_is_refused_with_401_before_the_api_is_called()
    {
        await fixture.SecretStore.PutAsync(Tenants.D.WorkspaceId, "vertex", fixture.Google.UnknownServiceAccountJson(), CancellationToken.None);
        var refusalsBefore = fixture.Google.TokenRefusals.Count;
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "vertex/gemini-vertex-unknown", messages = new[] { new { role = "user", content = "x" } } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", error["type"]!.ToString());
        Assert.Contains("invalid_grant", error["message"]!.ToString());
        Assert.Contains("Invalid JWT Signature.", fixture.Google.TokenRefusals.Skip(refusalsBefore));
        Assert.Empty(fixture.Google.RequestsFor("gemini-vertex-unknown"));
    }

    [Fact]
    public async Task A_secret_that_is_not_a_service_account_key_is_refused_with_401_without_echoing_it()
    {
        const string secret = """{"type":"authorized_user","client_secret":"do-not-echo"}""";
        await fixture.SecretStore.PutAsync(Tenants.D.WorkspaceId, "vertex", secret, CancellationToken.None);
        var response = await d.PostAsJsonAsync("/v1/chat/completions", new { model = "vertex/gemini-vertex-user", messages = new[] { new { role = "user", content = "x" } } });
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("service account", text, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-echo", text, StringComparison.Ordinal);
    }
}
