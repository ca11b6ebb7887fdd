using Dapper;
using HoneyHive.ControlPlane.Api.Accounts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// The anonymous SAML routes of a connection with protocol <c>saml</c>:
/// <list type="bullet">
/// <item><c>GET {prefix}/{connection_id}/metadata</c>: our SP metadata, what the IdP administrator imports.</item>
/// <item><c>GET {prefix}/{connection_id}/start?return_to=/path</c>: SP-initiated sign-in, a redirect to the IdP carrying
/// an AuthnRequest; the request's ID goes in a cookie so the Response must come back to this browser.</item>
/// <item><c>POST {prefix}/{connection_id}/acs</c>: the assertion consumer service (HTTP-POST binding), for SP- and
/// IdP-initiated Responses. A valid one signs the user in through <see cref="SsoSignIn"/> (just-in-time provisioning,
/// the refresh cookie) and lands the browser in the web UI; any refusal lands it on the sign-in page with
/// <c>?sso_error=saml</c> and the reason in the log.</item>
/// </list>
/// </summary>
public static class SamlAuthApi
{
    /// <summary>The AuthnRequest ID this browser started (the Response's InResponseTo must equal it).</summary>
    public const string RequestCookie = "hh_saml_request";

    /// <summary>A whole POST to the ACS (the form around the Response) may not be larger.</summary>
    private const long MaxAcsBodyBytes = 1024 * 1024;

    /// <summary>SAML bindings 3.4.3 / 3.5.3: RelayState must not exceed 80 bytes.</summary>
    private const int MaxRelayState = 80;

    public static void MapSamlAuthApi(this IEndpointRouteBuilder group)
    {
        var open = group.MapGroup(SamlSignIn.RoutePrefix + "/{connection_id}").AllowAnonymous().WithTags("SSO");
        open.MapGet("/metadata", MetadataAsync);
        open.MapGet("/start", StartAsync);
        open.MapPost("/acs", AcsAsync).DisableAntiforgery();
    }

    private static async Task<IResult> MetadataAsync(
        string connection_id, SamlSignIn saml, [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        // Enabled or not: an admin imports the metadata into the IdP before turning the connection on.
        if (!Guid.TryParse(connection_id, out var id)) return NotFound(connection_id);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM sso_connections WHERE id = @id AND protocol = @protocol AND deleted_at IS NULL)",
            new { id, protocol = SsoProtocols.Saml }, cancellationToken: cancellationToken));
        return exists ? TypedResults.Text(SamlMetadata.Create(saml.ServiceProvider(id)), SamlMetadata.ContentType) : NotFound(connection_id);
    }

    private static async Task<IResult> StartAsync(
        string connection_id, HttpContext context, SsoConnectionStore connections, SamlSignIn saml, IOptions<SsoOptions> options,
        ILogger<SamlSignIn> logger, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            var connection = await FindAsync(connection_id, connections, cancellationToken);
            using var certificate = connection.IdentityProvider.Certificate;
            var returnTo = SsoAuthApi.LocalPath(context.Request.Query["return_to"].ToString());
            var redirect = await saml.StartAsync(connection, returnTo.Length <= MaxRelayState ? returnTo : "/", cancellationToken);
            context.Response.Cookies.Append(RequestCookie, redirect.RequestId, RequestCookieOptions(context, options.Value.FlowLifetime));
            return TypedResults.Redirect(redirect.Url);
        }
        catch (SsoSignInRefusedException refused)
        {
            return SsoAuthApi.Refused(context, options.Value, logger, refused);
        }
    }

    private static async Task<IResult> AcsAsync(
        string connection_id, HttpContext context, SsoConnectionStore connections, SamlSignIn saml, SsoSignIn signIn, IOptions<SsoOptions> options,
        ILogger<SamlSignIn> logger, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        var browserRequestId = context.Request.Cookies[RequestCookie];
        // Spent by any answer: a second POST from this browser finds no request to match.
        context.Response.Cookies.Delete(RequestCookie, RequestCookieOptions(context, null));
        try
        {
            var connection = await FindAsync(connection_id, connections, cancellationToken);
            using var certificate = connection.IdentityProvider.Certificate;
            var (samlResponse, relayState) = await ReadFormAsync(context, cancellationToken);
            SamlAssertion assertion;
            try
            {
                assertion = await saml.CompleteAsync(connection, samlResponse, browserRequestId, cancellationToken);
            }
            catch (SamlRejectedException rejected)
            {
                throw new SsoSignInRefusedException("saml", $"SAML Response refused on connection {connection.Id}: {rejected.Message}");
            }
            // The IdP vouches for the email it asserts: it is the org's own directory, trusted for the domains the connection routes.
            var identity = new SsoIdentity(connection.Id, assertion.NameId, assertion.Email, EmailVerified: true, assertion.DisplayName);
            var session = await signIn.SignInAsync(identity, UserAgent(context), context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
            AuthApi.SetRefreshCookie(context, session.Refresh);
            return SsoAuthApi.Redirect(options.Value.PublicUrl, SsoAuthApi.LocalPath(relayState));
        }
        catch (SsoSignInRefusedException refused)
        {
            return SsoAuthApi.Refused(context, options.Value, logger, refused);
        }
    }

    private static async Task<SamlConnection> FindAsync(string connectionId, SsoConnectionStore connections, CancellationToken cancellationToken)
    {
        var row = Guid.TryParse(connectionId, out var id) ? await connections.FindEnabledAsync(id, cancellationToken) : null;
        if (row is not { Protocol: SsoProtocols.Saml })
            throw new SsoSignInRefusedException("connection", $"There is no enabled SAML connection {connectionId}.");
        return new SamlConnection(row.Id, row.OrgId, SamlConnectionConfig.IdentityProviderOf(row));
    }

    private static async Task<(string? SamlResponse, string? RelayState)> ReadFormAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > MaxAcsBodyBytes)
            throw new SsoSignInRefusedException("saml", $"The POST to the ACS is larger than {MaxAcsBodyBytes} bytes.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxAcsBodyBytes;
        if (!context.Request.HasFormContentType)
            throw new SsoSignInRefusedException("saml", "The ACS takes the HTTP-POST binding: a form with SAMLResponse (application/x-www-form-urlencoded).");
        var form = await context.Request.ReadFormAsync(new FormOptions { ValueCountLimit = 16, KeyLengthLimit = 64, ValueLengthLimit = (int)MaxAcsBodyBytes }, cancellationToken);
        var relayState = form["RelayState"].ToString();
        return (form["SAMLResponse"].ToString(), relayState.Length is > 0 and <= MaxRelayState ? relayState : null);
    }

    /// <summary>
    /// The IdP's POST to the ACS is a cross-site request: over https the cookie is SameSite=None (Secure) so the browser
    /// sends it; over plain http (local development) browsers refuse None without Secure, so it is Lax, which same-site
    /// IdPs (another port of the same host) still receive.
    /// </summary>
    private static CookieOptions RequestCookieOptions(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = context.Request.IsHttps ? SameSiteMode.None : SameSiteMode.Lax,
        Path = SamlSignIn.RoutePrefix,
        MaxAge = maxAge,
        IsEssential = true,
    };

    private static IResult NotFound(string connectionId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"There is no SAML connection {connectionId}.");

    private static string? UserAgent(HttpContext context) => context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;
}
