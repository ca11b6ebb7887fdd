using Microsoft.AspNetCore.Http;

namespace HoneyHive.ServiceDefaults;

/// <summary>
/// "This request is wrong": the one exception a route handler, or anything it calls, throws to refuse a
/// request. <see cref="ApiRequestExceptionHandler"/> answers it as RFC 9457 problem details: the
/// <see cref="Status"/>, the message as <c>detail</c>, <c>errors</c> keyed by field (as a validation
/// problem) and <c>field</c> when one field is at fault. Handlers throw it and never catch it.
/// </summary>
public sealed class ApiRequestException : Exception
{
    /// <param name="status">The HTTP status: 400, 403, 404, 409, 413, 415...</param>
    /// <param name="field">The JSON path, route or query parameter at fault (<c>threshold.min</c>, <c>events[2]</c>); null when none is.</param>
    /// <param name="message">What is wrong and what to send instead; it becomes <c>detail</c>.</param>
    public ApiRequestException(int status, string? field, string message)
        : base(message)
    {
        Status = status;
        Field = field;
        Errors = field is null ? Empty : new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] };
    }

    /// <summary>A 400 with every field found wrong at once (a body checked field by field).</summary>
    public ApiRequestException(IReadOnlyDictionary<string, string[]> errors)
        : base("The request is not valid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
    {
        Status = StatusCodes.Status400BadRequest;
        Errors = errors;
        Field = errors.Count == 1 ? errors.Keys.Single() : null;
    }

    private static readonly IReadOnlyDictionary<string, string[]> Empty = new Dictionary<string, string[]>();

    public int Status { get; }

    /// <summary>The one field at fault, or null when none or several are (see <see cref="Errors"/>).</summary>
    public string? Field { get; }

    /// <summary>Messages keyed by field; empty when the request as a whole is wrong.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    public static ApiRequestException BadRequest(string? field, string message) => new(StatusCodes.Status400BadRequest, field, message);

    /// <summary>An id the caller's project does not hold (another project's ids included, so their existence is not revealed).</summary>
    public static ApiRequestException NotFound(string? field, string message) => new(StatusCodes.Status404NotFound, field, message);

    /// <summary>The caller may see the object but not do this to it (a caller who may not see it gets <see cref="NotFound"/>).</summary>
    public static ApiRequestException Forbidden(string? field, string message) => new(StatusCodes.Status403Forbidden, field, message);

    public static ApiRequestException Conflict(string? field, string message) => new(StatusCodes.Status409Conflict, field, message);

    public static ApiRequestException TooLarge(string? field, string message) => new(StatusCodes.Status413PayloadTooLarge, field, message);

    /// <summary>
    /// A 422: the request was sound and work ran, but its content could not be processed (a metric's code
    /// raised). <paramref name="errorCode"/> is the machine-readable cause, answered as <c>errorCode</c>.
    /// </summary>
    public static ApiRequestException Unprocessable(string errorCode, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, null, message) { ErrorCode = errorCode };

    /// <summary>A 429: the service is saturated for now; the answer carries <c>Retry-After</c> (whole seconds, at least 1).</summary>
    public static ApiRequestException TooManyRequests(string message, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, null, message) { RetryAfter = retryAfter };

    /// <summary>
    /// A 429 for a quota: the caller's project (or key) is over <paramref name="limit"/> (a <c>QuotaLimits</c> name), answered
    /// with <c>limit</c> and <c>project_id</c> beside the detail and <c>Retry-After</c>.
    /// </summary>
    public static ApiRequestException OverQuota(string limit, Guid projectId, string message, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, null, message) { RetryAfter = retryAfter, Limit = limit, ProjectId = projectId };

    /// <summary>A 503: a part this route needs is not running or not composed in this process.</summary>
    public static ApiRequestException Unavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, null, message);

    /// <summary>When set, answered as <c>Retry-After</c>.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The quota a 429 is for (<see cref="OverQuota"/>); null otherwise.</summary>
    public string? Limit { get; private init; }

    /// <summary>The project whose quota a 429 is for; null otherwise.</summary>
    public Guid? ProjectId { get; private init; }

    /// <summary>The machine-readable cause of a 422 (<c>execution_error</c>, <c>compilation_error</c>...); null otherwise.</summary>
    public string? ErrorCode { get; private init; }
}
