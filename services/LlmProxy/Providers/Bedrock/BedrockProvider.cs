using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.DataPlane.Api.Secrets;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// AWS Bedrock over its documented wire format: Converse (<c>/model/{id}/converse</c>) for chat, ConverseStream
/// (binary event stream) for streams, InvokeModel for Titan text embeddings; every request SigV4-signed with the
/// workspace's AWS key for the region in the secret's settings.
/// </summary>
public sealed class BedrockProvider(TimeProvider clock) : ILlmProvider
{
    private const string EventStreamType = "application/vnd.amazon.eventstream";

    public IReadOnlyCollection<string> Kinds { get; } = [ProviderKinds.Bedrock];

    public async Task<JsonObject> CompleteAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        var converse = ConverseRequest.From(request);
        using var response = await SendAsync(call, "converse", converse.Body, "application/json", cancellationToken);
        var answer = await ReadJsonAsync(response, call, cancellationToken);
        return ConverseResponse.ToCompletion(answer, CompletionId(response), call.Model, Created(), converse.SchemaTool);
    }

    public async IAsyncEnumerable<JsonObject> StreamAsync(ProviderCall call, JsonObject request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var converse = ConverseRequest.From(request);
        var provider = call.Credential.Provider;
        // Disposing the response (the caller went away, or the stream ended) closes the connection: Bedrock stops generating.
        using var response = await SendAsync(call, "converse-stream", converse.Body, EventStreamType, cancellationToken);
        var translator = new ConverseStreamTranslator(CompletionId(response), call.Model, Created(), converse.SchemaTool);
        Stream body;
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
        await using (body)
        {
            var messages = EventStreamReader.ReadAsync(body, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await messages.MoveNextAsync()) break;
                    }
                    catch (EventStreamFormatException e)
                    {
                        throw new OpenAiErrorException(502, "api_error", $"{provider}: the provider's event stream is corrupt ({e.Message}).", retryable: false, inner: e);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OpenAiErrorException)
                    {
                        throw UpstreamErrors.FromException(e, provider);
                    }
                    if (Translate(messages.Current, translator, provider) is { } chunk) yield return chunk;
                }
            }
            finally
            {
                await messages.DisposeAsync();
            }
        }
        if (translator.UsageChunk is { } usage) yield return usage;
    }

    public async Task<JsonObject> EmbedAsync(ProviderCall call, JsonObject request, CancellationToken cancellationToken)
    {
        if (call.Model.StartsWith("cohere.", StringComparison.Ordinal))
            throw OpenAiErrorException.Invalid("model", "This proxy embeds with Bedrock's Titan text embedding models (amazon.titan-embed-text-v2:0); Cohere's body is not translated yet.");
        var base64 = request["encoding_format"]?.ToString() == "base64";
        var answers = new List<JsonObject>();
        // Titan embeds one text per call; the inputs go one after another so one request never bursts the account's quota.
        foreach (var body in TitanEmbeddings.Requests(request))
        {
            using var response = await SendAsync(call, "invoke", body, "application/json", cancellationToken);
            answers.Add(await ReadJsonAsync(response, call, cancellationToken));
        }
        try
        {
            return TitanEmbeddings.ToList(answers, call.Model, base64);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw UpstreamErrors.FromException(new JsonException(e.Message, e), call.Credential.Provider);
        }
    }

    private static JsonObject? Translate(EventStreamMessage message, ConverseStreamTranslator translator, string provider)
    {
        var payload = message.Payload.Length == 0 ? new JsonObject() : Parse(message.Payload, provider);
        switch (message.Header(":message-type"))
        {
            case "event":
                return translator.Translate(message.Header(":event-type") ?? "", payload);
            case "exception":
                throw BedrockErrors.FromStreamException(message.Header(":exception-type"), provider,
                    payload["message"]?.ToString() ?? payload["Message"]?.ToString() ?? "the model stream failed");
            case "error":
                throw BedrockErrors.FromStreamException(message.Header(":error-code"), provider, message.Header(":error-message") ?? "the stream failed");
            default:
                return null;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(ProviderCall call, string operation, JsonObject body, string accept, CancellationToken cancellationToken)
    {
        var target = BedrockTarget.For(call);
        var request = BedrockSigner.Post(target, call.Model, operation, JsonSerializer.SerializeToUtf8Bytes(body), clock.GetUtcNow().UtcDateTime);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        HttpResponseMessage response;
        try
        {
            response = await call.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OpenAiErrorException)
        {
            throw UpstreamErrors.FromException(e, call.Credential.Provider);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await BedrockErrors.FromResponseAsync(response, call.Credential.Provider, cancellationToken);
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, ProviderCall call, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken) as JsonObject
                ?? throw new JsonException("the answer is not a JSON object");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw UpstreamErrors.FromException(e, call.Credential.Provider);
        }
    }

    private static JsonObject Parse(ReadOnlyMemory<byte> payload, string provider)
    {
        try
        {
            return JsonNode.Parse(payload.Span) as JsonObject ?? throw new JsonException("an event's payload is not a JSON object");
        }
        catch (JsonException e)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
    }

    /// <summary>Bedrock names no completion; its request id does, so a trace and AWS's logs can be matched.</summary>
    private static string CompletionId(HttpResponseMessage response) =>
        "chatcmpl-" + (response.Headers.TryGetValues("x-amzn-RequestId", out var ids) && ids.FirstOrDefault() is { Length: > 0 } id
            ? id
            : Guid.NewGuid().ToString("N"));

    private long Created() => clock.GetUtcNow().ToUnixTimeSeconds();
}
