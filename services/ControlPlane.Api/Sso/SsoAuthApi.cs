using System.Globalization;
using System.Text.Json.Serialization;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.Sso.Oidc;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso;

public sealed record SsoDiscoverRequest([property: JsonPropertyName("email")] string Email);

/// <summary>Which connection signs in an email: what the sign-in page needs to send the browser on, and nothing about the org.</summary>
public sealed record SsoDiscovery(
    [property: JsonPropertyName("connection_id")] Guid ConnectionId,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("start_url")] string StartUrl);

/// <summary>
/// The anonymous single sign-on routes: email-domain routing (<c>POST /v1/auth/sso/discover</c>, rate-limited per client
/// address), and the OIDC redirect flow (<c>GET /v1/auth/sso/oidc/{connection_id}/start</c>, then the provider sends
/// the browser to <c>GET /v1/auth/sso/oidc/callback</c>). The callback ends in the web UI: signed in (the refresh cookie
/// set, as password sign-in sets it) on the page the user came from, or on the sign-in page with <c>?sso_error=reason</c>.
/// </summary>
public static class SsoAuthApi
{
    private const string Json = "application/json";
    private static readonly string[] DiscoverFields = ["email"];

    public static void MapSsoAuthApi(this IEndpointRouteBuilder group)
    {
        var open = group.MapGroup("/v1/auth/sso").AllowAnonymous().WithTags("SSO");
        open.MapPost("/discover", DiscoverAsync).Accepts<SsoDiscoverRequest>(Json);
        open.MapGet("/oidc/{connection_id}/start", StartOidcAsync);
        open.MapGet("/oidc/callback", OidcCallbackAsync);
    }

    private static async Task<Results<Ok<SsoDiscovery>, ProblemHttpResult>> DiscoverAsync(
        HttpContext context, SsoConnectionStore connections, AttemptLimiter limiter, IOptions<SsoOptions> options, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadObjectAsync(context.Request, 4096, allowEmpty: false, cancellationToken);
        foreach (var (key, _) in body)
            if (!DiscoverFields.Contains(key)) throw ApiRequestException.BadRequest(key, $"{key} cannot be set by this request; it takes email.");
        var email = RequestBody.RequiredString(body, "email", 320).Trim().ToLowerInvariant();
        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1) throw ApiRequestException.BadRequest("email", "email must be an email address.");

        // Every look-up counts (found or not), so one address cannot walk a list of domains to learn which use SSO.
        var limits = options.Value;
        AttemptCounter[] counters = [new("sso-discover", "ip", AttemptLimiter.AddressSubject(context.Connection.RemoteIpAddress), limits.MaxDiscoveriesPerIp, limits.DiscoveryWindow, limits.DiscoveryWindow)];
        if (await limiter.LockedForAsync(counters) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", detail: $"Too many look-ups; try again in {seconds} seconds.");
        }
        await limiter.RecordFailureAsync(counters);

        var connection = await connections.FindByDomainAsync(email[(at + 1)..], cancellationToken);
        if (connection is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: "No single sign-on is set up for this email's domain; sign in with a password.");
        return TypedResults.Ok(new SsoDiscovery(connection.Id, connection.Protocol, limits.StartUrl(connection.Protocol, connection.Id)));
    }

    private static async Task<IResult> StartOidcAsync(
        string connection_id, HttpContext context, SsoConnectionStore connections, OidcRelyingParty oidc, IOptions<SsoOptions> options,
        ILogger<OidcRelyingParty> logger, CancellationToken cancellationToken)
    {
        var connection = Guid.TryParse(connection_id, out var id) ? await connections.FindEnabledAsync(id, cancellationToken) : null;
        if (connection is not { Protocol: SsoProtocols.Oidc })
            return Refused(context, options.Value, logger, new SsoSignInRefusedException("connection", $"There is no enabled OIDC connection {connection_id}."));
        try
        {
            var target = await oidc.StartAsync(context, connection, LocalPath(context.Request.Query["return_to"].ToString()), cancellationToken);
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Redirect(target.AbsoluteUri);
        }
        catch (SsoSignInRefusedException refused)
        {
            return Refused(context, options.Value, logger, refused);
        }
    }

    private static async Task<IResult> OidcCallbackAsync(
        HttpContext context, OidcRelyingParty oidc, SsoSignIn signIn, IOptions<SsoOptions> options, ILogger<OidcRelyingParty> logger, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            var (identity, returnTo) = await oidc.CompleteAsync(context, cancellationToken);
            var session = await signIn.SignInAsync(identity, UserAgent(context), context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
            AuthApi.SetRefreshCookie(context, session.Refresh);
            // 303: the browser GETs the page; the web UI's auth provider turns the refresh cookie into an access token on load.
            return Redirect(options.Value.PublicUrl, returnTo);
        }
        catch (SsoSignInRefusedException refused)
        {
            return Refused(context, options.Value, logger, refused);
        }
    }

    /// <summary>Back to the sign-in page with the reason's code (the page explains it); the details go to the log only.</summary>
    internal static IResult Refused(HttpContext context, SsoOptions options, ILogger logger, SsoSignInRefusedException refused)
    {
        logger.LogWarning("SSO sign-in refused ({Reason}): {Detail}", refused.Reason, refused.Message);
        context.Response.Headers.CacheControl = "no-store";
        return Redirect(options.PublicUrl, "/login?sso_error=" + Uri.EscapeDataString(refused.Reason));
    }

    internal static IResult Redirect(string publicUrl, string path)
    {
        var target = publicUrl.TrimEnd('/') + path;
        return new SeeOtherResult(target);
    }

    /// <summary>Only a path of the web UI: never an absolute URL, a scheme-relative one or a backslash trick put in ?return_to=.</summary>
    public static string LocalPath(string? value) =>
        value is { Length: > 0 and <= 1024 } path && path[0] == '/' && !path.StartsWith("//", StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal)
            && !path.Any(char.IsControl)
            ? path
            : "/";

    private static string? UserAgent(HttpContext context) => context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
