using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>The HTTP steps every adapter shares: send JSON, read a JSON answer or the provider's error, read an SSE stream.</summary>
public static class ProviderHttp
{
    public static HttpRequestMessage Post(Uri url, JsonNode body) => new(HttpMethod.Post, url)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    /// <summary>Sends <paramref name="request"/> and returns the response headers once they arrive, or throws the provider's error.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, string provider, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OpenAiErrorException)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await UpstreamErrors.FromResponseAsync(response, provider, cancellationToken);
    }

    /// <summary>Largest non-streamed answer read into memory: many embeddings of a large batch, with room to spare.</summary>
    public const int MaxAnswerBytes = 64 << 20;

    /// <summary>Sends and parses the JSON object the provider answers (at most <see cref="MaxAnswerBytes"/>).</summary>
    public static async Task<JsonObject> SendForJsonAsync(HttpClient http, HttpRequestMessage request, string provider, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(http, request, provider, cancellationToken);
        try
        {
            if (response.Content.Headers.ContentLength > MaxAnswerBytes) throw AnswerTooLarge(provider);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var buffer = new MemoryStream();
            var chunk = new byte[81_920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxAnswerBytes) throw AnswerTooLarge(provider);
                buffer.Write(chunk, 0, read);
            }
            return JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) as JsonObject
                ?? throw new JsonException("the answer is not a JSON object");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
    }

    /// <summary>
    /// The data of each server-sent event of a streamed answer, with its event type (Anthropic names its events;
    /// OpenAI's are all <c>message</c>). Disposing the enumerator disposes the response, which closes the upstream
    /// connection: a caller that goes away stops the provider's generation.
    /// </summary>
    public static async IAsyncEnumerable<SseItem<string>> ReadEventsAsync(
        HttpResponseMessage response, string provider, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            Stream stream;
            try
            {
                stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                throw UpstreamErrors.FromException(e, provider);
            }
            await using (stream)
            {
                var events = SseParser.Create(stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (true)
                    {
                        try
                        {
                            if (!await events.MoveNextAsync()) yield break;
                        }
                        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                        {
                            throw UpstreamErrors.FromException(e, provider);
                        }
                        yield return events.Current;
                    }
                }
                finally
                {
                    await events.DisposeAsync();
                }
            }
        }
    }

    private static OpenAiErrorException AnswerTooLarge(string provider) =>
        new(502, "api_error", $"{provider}: the answer is larger than {MaxAnswerBytes >> 20} MiB, more than the proxy reads.", retryable: false);

    public static JsonObject ParseObject(string data, string provider)
    {
        try
        {
            return JsonNode.Parse(data) as JsonObject ?? throw new JsonException("an event's data is not a JSON object");
        }
        catch (JsonException e)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
    }

    public static void Bearer(HttpRequestMessage request, string token) =>
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    /// <summary><paramref name="baseUrl"/> with <paramref name="path"/> appended (the base's own path kept, one slash between).</summary>
    public static Uri Combine(string baseUrl, string path, string? query = null)
    {
        var builder = new UriBuilder(baseUrl.TrimEnd('/') + "/" + path.TrimStart('/'));
        if (query is not null) builder.Query = query;
        return builder.Uri;
    }
}
