using System.Net.Http.Headers;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Infrastructure;

/// <summary>Configuration section <c>ControlPlane</c> of the data plane.</summary>
public sealed class ControlPlaneOptions
{
    public const string Section = "ControlPlane";

    /// <summary>The CP's public API (the single-node Host points it at its own CP port).</summary>
    public string ApiUrl { get; set; } = "http://127.0.0.1:8081";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Sends a request the control plane answers (the legacy project routes) to the CP with the caller's own
/// <c>Authorization</c> header, and relays its status, content type and body. The DP decides nothing here and
/// opens no CP database: the CP authenticates and authorizes the caller as for any of its routes.
/// </summary>
public sealed class ControlPlaneForwarder(HttpClient http, ILogger<ControlPlaneForwarder> logger)
{
    /// <summary>Legacy project bodies are a name and a description; anything near this is not one.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public async Task<IResult> ForwardAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes) throw ApiRequestException.TooLarge("body", $"The body is larger than {MaxBodyBytes} bytes.");
        var body = await ReadBodyAsync(request, cancellationToken);

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(request.Path + request.QueryString, UriKind.Relative));
        if (request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (body.Length > 0 || request.ContentLength == 0)
        {
            message.Content = new ByteArrayContent(body);
            if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) message.Content.Headers.ContentType = type;
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("The control plane at {Url} did not answer a forwarded {Method} {Path}: {Reason}", http.BaseAddress, request.Method, request.Path, ex.Message);
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
                detail: "The control plane, which answers this route, cannot be reached right now; retry later.");
        }

        using (response)
        {
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var contentType = response.Content.Headers.ContentType?.ToString();
            if (response.Headers.WwwAuthenticate.Count > 0) context.Response.Headers.WWWAuthenticate = response.Headers.WwwAuthenticate.ToString();
            return new Relayed((int)response.StatusCode, content, contentType);
        }
    }

    /// <summary>The CP's answer as it came: status, content type (problem details stay problem details) and body.</summary>
    private sealed class Relayed(int status, byte[] content, string? contentType) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            if (contentType is not null) httpContext.Response.ContentType = contentType;
            if (content.Length > 0) await httpContext.Response.Body.WriteAsync(content);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Bounded read: a body without Content-Length (chunked) must not grow past the limit either.
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) throw ApiRequestException.TooLarge("body", $"The body is larger than {MaxBodyBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
