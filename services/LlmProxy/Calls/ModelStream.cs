using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Providers;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>
/// An open upstream stream whose first chunk has arrived. Each further chunk must come within the idle timeout;
/// disposing closes the upstream connection (the provider stops generating).
/// </summary>
public sealed class ModelStream(
    IAsyncEnumerator<JsonObject> chunks, JsonObject first, CancellationTokenSource source, TimeSpan idleTimeout, string provider,
    CancellationToken callerToken) : IAsyncDisposable
{
    public JsonObject First { get; } = first;

    /// <summary>The next chunk, or null at the end of the stream.</summary>
    /// <exception cref="OpenAi.OpenAiErrorException">The provider failed or went silent midway.</exception>
    public async ValueTask<JsonObject?> NextAsync()
    {
        source.CancelAfter(idleTimeout);
        try
        {
            return await chunks.MoveNextAsync() ? chunks.Current : null;
        }
        catch (Exception e) when (!callerToken.IsCancellationRequested)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await chunks.DisposeAsync();
        source.Dispose();
    }
}
