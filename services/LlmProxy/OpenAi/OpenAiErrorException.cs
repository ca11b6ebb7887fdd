using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.LlmProxy.OpenAi;

/// <summary>
/// An error the proxy answers in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>), which every
/// OpenAI client parses: the caller's own mistakes (400), a provider's refusal mapped to the status and type OpenAI
/// would give, or the proxy's limits (429). <see cref="Retryable"/> says whether the same call may succeed later
/// (429 and 5xx from a provider, timeouts, connection failures): the caller retries those, then falls back.
/// </summary>
public sealed class OpenAiErrorException : Exception
{
    public OpenAiErrorException(int status, string type, string message, string? code = null, string? param = null,
        TimeSpan? retryAfter = null, bool? retryable = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Type = type;
        Code = code;
        Param = param;
        RetryAfter = retryAfter;
        Retryable = retryable ?? (status == StatusCodes.Status429TooManyRequests || status >= 500);
    }

    public int Status { get; }

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, permission_error, not_found_error, rate_limit_error, api_error, timeout.</summary>
    public string Type { get; }

    public string? Code { get; }

    /// <summary>The request field at fault, when one is.</summary>
    public string? Param { get; }

    /// <summary>How long the upstream (or the proxy's own limit) asked to wait before retrying.</summary>
    public TimeSpan? RetryAfter { get; }

    public bool Retryable { get; }

    /// <summary>The caller's request is wrong: 400 invalid_request_error naming the field.</summary>
    public static OpenAiErrorException Invalid(string? param, string message, string? code = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, code, param, retryable: false);

    /// <summary>The type OpenAI gives a status, for errors that carry none of their own.</summary>
    public static string TypeOf(int status) => status switch
    {
        400 or 409 or 413 or 415 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 or 504 => "timeout",
        429 => "rate_limit_error",
        _ => "api_error",
    };

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = Message,
            ["type"] = Type,
            ["param"] = Param,
            ["code"] = Code,
        },
    };

    /// <summary>Writes the error as the response (status, Retry-After when known, the JSON body).</summary>
    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = Status;
        if (RetryAfter is { } wait)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await response.WriteAsJsonAsync(ToJson(), cancellationToken);
    }
}
