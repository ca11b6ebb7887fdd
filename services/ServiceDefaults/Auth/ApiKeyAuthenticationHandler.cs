using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;project API key&gt;</c>. The key is never logged or echoed: failures
/// say only what to send.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDirectory directory) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    // Set when the key could not be checked (dpdb unreachable): the challenge then answers 503, not 401.
    private static readonly object DirectoryUnavailable = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!BearerToken.TryRead(header, out var key))
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <project API key>'.");
        if (!BearerToken.IsPlausible(key)) return AuthenticateResult.Fail("The API key is empty or too long.");

        ApiKeyIdentity? identity;
        try
        {
            identity = await directory.FindAsync(key, Context.RequestAborted);
        }
        catch (KeyDirectoryUnavailableException ex)
        {
            Logger.LogWarning(ex.InnerException, "API key check failed: the key directory is unavailable");
            Context.Items[DirectoryUnavailable] = true;
            return AuthenticateResult.Fail(ex.Message);
        }

        return identity is null
            ? AuthenticateResult.Fail("The API key is unknown or revoked.")
            : AuthenticateResult.Success(new AuthenticationTicket(identity.ToPrincipal(SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(DirectoryUnavailable))
        {
            Response.Headers.RetryAfter = ((int)KeyDirectoryUnavailableException.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return WriteProblemAsync(StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
                "The API key cannot be checked right now; retry later.");
        }

        return WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send 'Authorization: Bearer <project API key>' with a valid, unrevoked key.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // Names the scope the route needs and the scopes that would do; never the key or the scopes it has.
        var required = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope;
        if (required is null)
        {
            return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
                "This route declares no scope, so no key may call it; this is a server defect.");
        }

        var satisfying = ApiScopes.SatisfiedBy(required);
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"This route needs an API key with the '{required}' scope (any of: {string.Join(", ", satisfying)}); this key has none of them.",
            new Dictionary<string, object?> { ["required_scope"] = required, ["accepted_scopes"] = satisfying });
    }

    private Task WriteProblemAsync(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions).ExecuteAsync(Context);
    }
}
