using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>OpenAI's official .NET SDK, unchanged but for its endpoint, against the proxy's routes.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class OpenAiDotnetSdkTests(LlmProxyFixture fixture)
{
    private OpenAIClientOptions Options => new() { Endpoint = new Uri(fixture.BaseUrl + "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) };

    [Fact]
    public async Task The_dotnet_sdk_completes_a_chat_through_the_proxy()
    {
        var chat = new ChatClient("openai/dotnet-sdk", new ApiKeyCredential("key-a"), Options);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hello dotnet")]);

        Assert.Equal("echo: hello dotnet", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(18, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_dotnet_sdk_streams_a_chat_with_usage_through_the_proxy()
    {
        var chat = new ChatClient("openai/dotnet-sdk-stream", new ApiKeyCredential("key-a"), Options);
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("stream this please")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
        }

        Assert.Equal("echo: stream this please", text.ToString());
        Assert.NotNull(usage); // the SDK asks include_usage itself
        Assert.Equal(18, usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_dotnet_sdk_gets_embeddings_through_the_proxy()
    {
        var embeddings = new EmbeddingClient("openai/text-embedding-3-small", new ApiKeyCredential("key-a"), Options);

        OpenAIEmbedding embedding = await embeddings.GenerateEmbeddingAsync("embed me");

        Assert.Equal([0.1f, 0.2f, 0.3f], embedding.ToFloats().ToArray());
    }

    [Fact]
    public async Task The_dotnet_sdk_sees_a_proxy_refusal_as_a_client_error_with_its_message()
    {
        var chat = new ChatClient("unconfigured-provider/x", new ApiKeyCredential("key-a"), Options);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("x")]));

        Assert.Equal(400, refused.Status);
        Assert.Contains("/v1/provider-secrets/unconfigured-provider", refused.Message);
    }
}
