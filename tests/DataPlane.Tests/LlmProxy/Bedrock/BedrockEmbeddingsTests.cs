using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

[Collection(LlmProxyCollection.Name)]
public sealed class BedrockEmbeddingsTests(LlmProxyFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient a = fixture.Client("key-a");

    public Task InitializeAsync() => BedrockSecrets.StoreAsync(fixture);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Titan_embeddings_take_one_signed_invoke_per_input_and_answer_in_openai_list_shape()
    {
        const string model = "amazon.titan-embed-text-v2:0";
        var response = await a.PostAsJsonAsync("/v1/embeddings", new { model = "bedrock/" + model, input = new[] { "first text", "the second longer text" }, dimensions = 256 });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", body!["object"]!.ToString());
        var data = body["data"]!.AsArray();
        Assert.Equal([0, 1], data.Select(d => d!["index"]!.GetValue<int>()));
        Assert.Equal(0.25, data[0]!["embedding"]![0]!.GetValue<double>());
        Assert.Equal(0.22, data[1]!["embedding"]![2]!.GetValue<double>()); // the fake encodes the input's length
        Assert.Equal(6, body["usage"]!["prompt_tokens"]!.GetValue<int>()); // 2 + 4 tokens, summed over the calls

        var sent = FakeBedrockRuntime.Shared.RequestsFor(model).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, s => Assert.True(s.Signature.Valid, s.Signature.Message));
        Assert.All(sent, s => Assert.Equal("/model/amazon.titan-embed-text-v2%3A0/invoke", s.RawPath));
        Assert.Equal(["first text", "the second longer text"], sent.Select(s => s.Body["inputText"]!.ToString()));
        Assert.All(sent, s => Assert.Equal(256, s.Body["dimensions"]!.GetValue<int>()));
    }
}
