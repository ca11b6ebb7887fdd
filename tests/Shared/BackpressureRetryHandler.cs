using System.Net;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// Sends a request again, after its Retry-After, when the ingestion back-pressure refused it (429, "The event writer is
/// behind" or "The event backlog … is over its limit"), as OTLP exporters and the HoneyHive SDKs do. A Host just
/// restarted on a loaded machine answers so while its Writer catches up; a test that is not about back-pressure should
/// not fail on it. A quota's 429 and every other answer pass through, and so does the last 429 once
/// <paramref name="limit"/> has passed.
/// </summary>
public sealed class BackpressureRetryHandler(HttpMessageHandler inner, TimeSpan limit) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var deadline = DateTime.UtcNow + limit;
        for (var attempt = request; ; attempt = Copy(request, body))
        {
            var response = await base.SendAsync(attempt, cancellationToken);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || DateTime.UtcNow >= deadline) return response;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!text.Contains("event writer is behind", StringComparison.Ordinal) && !text.Contains("event backlog", StringComparison.Ordinal)) return response;
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait, cancellationToken);
        }
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? body)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var (name, values) in request.Headers) copy.Headers.TryAddWithoutValidation(name, values);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var (name, values) in request.Content!.Headers) copy.Content.Headers.TryAddWithoutValidation(name, values);
        }
        return copy;
    }
}
