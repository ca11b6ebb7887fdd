using System.Net;

namespace HoneyHive.Platform.Security.Outbound;

/// <summary>
/// Follows redirects for a client whose handler has <c>AllowAutoRedirect = false</c>: at most
/// <see cref="MaxRedirects"/>, each Location checked by <see cref="OutboundGuard.CheckUrlAsync"/> before it is
/// requested, 303 (and 301/302 after a POST, as browsers do) turned into a GET, and the credential headers dropped
/// as soon as the origin changes: a provider's redirect must not carry the workspace's key to another server.
/// </summary>
public sealed class GuardedRedirectHandler(OutboundGuard guard) : DelegatingHandler
{
    /// <summary>Redirects followed for one request; the response after that is returned as it is.</summary>
    public const int MaxRedirects = 3;

    /// <summary>Headers that carry a credential (x-amz-* are matched by prefix: SigV4's date, token and content hash).</summary>
    private static readonly string[] CredentialHeaders = ["Authorization", "Proxy-Authorization", "Cookie", "api-key", "x-api-key", "x-goog-api-key"];

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        for (var redirects = 0; redirects < MaxRedirects && Target(request, response) is { } next; redirects++)
        {
            var status = response.StatusCode;
            // The redirect's own body is never read; its connection goes back to the pool before the next hop (or the refusal).
            response.Dispose();
            await guard.CheckUrlAsync(next, cancellationToken);
            if (!SameOrigin(request.RequestUri!, next)) DropCredentials(request);
            if (status == HttpStatusCode.SeeOther || (status is HttpStatusCode.Moved or HttpStatusCode.Found && request.Method == HttpMethod.Post))
            {
                request.Method = HttpMethod.Get;
                request.Content = null;
            }
            request.RequestUri = next;
            response = await base.SendAsync(request, cancellationToken);
        }
        return response;
    }

    private static Uri? Target(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (response.StatusCode is not (HttpStatusCode.Moved or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect)) return null;
        if (response.Headers.Location is not { } location) return null;
        return location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    private static void DropCredentials(HttpRequestMessage request)
    {
        foreach (var name in CredentialHeaders) request.Headers.Remove(name);
        foreach (var name in request.Headers.Select(h => h.Key).Where(k => k.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)).ToList())
            request.Headers.Remove(name);
    }
}
