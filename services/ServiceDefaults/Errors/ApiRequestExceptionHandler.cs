using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.ServiceDefaults;

/// <summary>
/// The one place an <see cref="ApiRequestException"/> becomes a response: problem details with status,
/// title, detail, <c>errors</c> keyed by field and <c>field</c>. Other exceptions pass on (500).
/// </summary>
public sealed class ApiRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ApiRequestException refused) return false;
        var problem = ToProblem(refused);
        // The exception middleware cleared the response before calling us, so the header is set here, not where it was thrown.
        if (refused.RetryAfter is { } retryAfter)
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Writes through IProblemDetailsService, or plain JSON when the client's Accept rules that out.
        await TypedResults.Problem(problem).ExecuteAsync(httpContext);
        return true;
    }

    public static ProblemDetails ToProblem(ApiRequestException refused)
    {
        ProblemDetails problem = refused.Errors.Count > 0
            ? new HttpValidationProblemDetails(refused.Errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal))
            : new ProblemDetails();
        problem.Status = refused.Status;
        problem.Title = refused.Status == StatusCodes.Status400BadRequest ? "The request is not valid." : ReasonPhrases.GetReasonPhrase(refused.Status);
        problem.Detail = refused.Message;
        if (refused.Field is not null) problem.Extensions["field"] = refused.Field;
        // The reference API names the cause of a 422 in `errorCode` and its text in `message`.
        if (refused.ErrorCode is not null)
        {
            problem.Extensions["errorCode"] = refused.ErrorCode;
            problem.Extensions["message"] = refused.Message;
        }
        if (refused.Limit is not null)
        {
            problem.Extensions["limit"] = refused.Limit;
            problem.Extensions["project_id"] = refused.ProjectId?.ToString();
        }
        return problem;
    }
}

public static class ApiRequestErrorsExtensions
{
    /// <summary>Problem details and <see cref="ApiRequestExceptionHandler"/> (AddServiceDefaults calls it); pair with <c>app.UseExceptionHandler()</c>.</summary>
    public static IServiceCollection AddApiRequestErrors(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionHandler, ApiRequestExceptionHandler>());
        return services;
    }
}
