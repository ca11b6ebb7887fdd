using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The data plane's scheme: <c>Authorization: Bearer &lt;project API key or access token&gt;</c>, through
/// <see cref="DataPlaneAuthenticator"/>. Nothing presented is logged or echoed: failures say only what to send. A token
/// naming a project it does not reach is answered 404 here, before any route runs, exactly as a project that does not exist.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    DataPlaneAuthenticator authenticator) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    // Why authentication failed, for the challenge: the reason of a 401, or another answer (project header, project not found, dpdb unavailable).
    private static readonly object Refusal = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var result = await authenticator.AuthenticateAsync(
            Request.Headers.Authorization.ToString(), Request.Headers[DataPlaneAuthenticator.ProjectHeader].ToString(), SchemeName, Context.RequestAborted);
        if (result.Anonymous) return AuthenticateResult.NoResult();
        if (result.Principal is { } principal) return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
        if (result.Status == StatusCodes.Status503ServiceUnavailable) Logger.LogWarning("Credential check failed: dpdb is unavailable");
        Context.Items[Refusal] = result;
        return AuthenticateResult.Fail(result.Detail!);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[Refusal] is DataPlaneAuthResult { Status: StatusCodes.Status401Unauthorized } unauthenticated)
        {
            // Why (expired, wrong audience, unknown key...), never what was sent.
            return WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
                unauthenticated.Detail + " Send 'Authorization: Bearer <project API key or access token>'.");
        }

        if (Context.Items[Refusal] is DataPlaneAuthResult refusal)
        {
            if (refusal.Status == StatusCodes.Status503ServiceUnavailable)
            {
                Response.Headers.RetryAfter = ((int)KeyDirectoryUnavailableException.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return WriteProblemAsync(refusal.Status, "Service Unavailable", "The credentials cannot be checked right now; retry later.");
            }
            var problem = ApiRequestExceptionHandler.ToProblem(new ApiRequestException(refusal.Status, refusal.Field, refusal.Detail!));
            if (refusal.Status == StatusCodes.Status404NotFound) problem.Title = DataPlaneAuthenticator.ProjectNotFound;
            Response.StatusCode = refusal.Status;
            return TypedResults.Problem(problem).ExecuteAsync(Context);
        }

        return WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send 'Authorization: Bearer <project API key>' with a valid, unrevoked key, or 'Bearer <access token>' from the control plane's sign-in.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // Names what the route needs and what would grant it; never the credentials or what they hold.
        var required = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>();
        if (required is null)
        {
            return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
                "This route declares no permission, so no one may call it; this is a server defect.");
        }

        var extensions = new Dictionary<string, object?> { ["required_permission"] = required.Permission };
        if (Context.User.HasClaim(c => c.Type == AccessTokenPrincipal.UserIdClaim))
        {
            return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
                $"This route needs the '{required.Permission}' permission in this project; your roles here do not grant it.", extensions);
        }

        if (required.KeyScope is not { } scope)
        {
            return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
                $"This route needs the '{required.Permission}' permission, which no project API key carries; use an access token.", extensions);
        }

        var satisfying = ApiScopes.SatisfiedBy(scope);
        extensions["required_scope"] = scope;
        extensions["accepted_scopes"] = satisfying;
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"This route needs an API key with the '{scope}' scope (any of: {string.Join(", ", satisfying)}); this key has none of them.", extensions);
    }

    private Task WriteProblemAsync(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions).ExecuteAsync(Context);
    }
}
