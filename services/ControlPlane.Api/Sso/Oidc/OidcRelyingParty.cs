using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Api.Sso.Oidc;

/// <summary>
/// The OIDC relying party: authorization code flow with PKCE (S256), <c>state</c> and <c>nonce</c>. Start: a fresh
/// state, nonce and verifier kept server-side (<see cref="OidcLoginStates"/>), a binding cookie in the browser, and the
/// provider's authorization URL from its discovery document. Callback: the state taken once and checked against the
/// browser's cookie; the connection is the state's, never the provider's word; the code exchanged at that connection's
/// token endpoint with its client secret and the verifier; the ID token validated by Microsoft.IdentityModel (signature
/// through the JWKS, issuer, audience = client id, lifetime) and its nonce compared with the state's. Only then does
/// the protocol-neutral <see cref="SsoSignIn"/> see the identity.
/// </summary>
public sealed class OidcRelyingParty(
    SsoConnectionStore connections,
    OidcProviders providers,
    OidcLoginStates states,
    IHttpClientFactory clients,
    TimeProvider clock,
    IOptions<SsoOptions> options)
{
    /// <summary>The cookie binding a started sign-in to its browser (SameSite=Lax: the provider's redirect back is a cross-site top-level GET).</summary>
    public const string BindingCookie = "hh_sso_state";

    public const string CookiePath = "/v1/auth/sso";

    private const int MaxTokenResponseBytes = 256 * 1024;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>Starts a sign-in through <paramref name="connection"/>: sets the binding cookie and answers the provider's authorization URL.</summary>
    public async Task<Uri> StartAsync(HttpContext context, SsoConnectionRow connection, string returnTo, CancellationToken cancellationToken)
    {
        var settings = connections.OidcSettingsOf(connection);
        var configuration = await providers.ConfigurationAsync(settings.Issuer, cancellationToken);
        var started = await states.StartAsync(connection.Id, returnTo);
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = settings.ClientId,
            ["redirect_uri"] = options.Value.OidcRedirectUri,
            ["scope"] = string.Join(' ', settings.Scopes),
            ["state"] = started.State,
            ["nonce"] = started.Login.Nonce,
            ["code_challenge"] = OidcLoginStates.Challenge(started.Login.CodeVerifier),
            ["code_challenge_method"] = "S256",
        };
        context.Response.Cookies.Append(BindingCookie, started.Binding, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = CookiePath,
            MaxAge = options.Value.FlowLifetime,
            IsEssential = true,
        });
        return new Uri(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(configuration.AuthorizationEndpoint, query));
    }

    /// <summary>Checks the provider's answer to the browser and returns the identity it vouches for, and where to land.</summary>
    /// <exception cref="SsoSignInRefusedException">Any check failed; the reason names which.</exception>
    public async Task<(SsoIdentity Identity, string ReturnTo)> CompleteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var state = query["state"].ToString();
        // Taken first, whatever follows: a state is spent by any answer to it, so a replayed callback finds nothing.
        var login = state.Length > 0 ? await states.TakeAsync(state) : null;
        context.Response.Cookies.Delete(BindingCookie, new CookieOptions { Path = CookiePath, Secure = context.Request.IsHttps, HttpOnly = true, SameSite = SameSiteMode.Lax });
        if (login is null) throw new SsoSignInRefusedException("state", "The state is unknown, expired or already used.");
        var binding = context.Request.Cookies[BindingCookie];
        if (binding is null || !CryptographicEquals(OidcLoginStates.Hash(binding), login.BindingHash))
            throw new SsoSignInRefusedException("state", "The sign-in was started by another browser (the binding cookie does not match the state).");

        if (query["error"].ToString() is { Length: > 0 } error)
            throw new SsoSignInRefusedException("provider_error", $"The provider answered {Truncate(error, 64)}: {Truncate(query["error_description"].ToString(), 200)}");
        var code = query["code"].ToString();
        if (code.Length is 0 or > 2048) throw new SsoSignInRefusedException("code", "The provider's answer holds no code.");

        var connection = await connections.FindEnabledAsync(login.ConnectionId, cancellationToken)
            ?? throw new SsoSignInRefusedException("connection", $"SSO connection {login.ConnectionId} is no longer enabled.");
        var settings = connections.OidcSettingsOf(connection);
        // RFC 9207: a provider that names itself in the answer must be the one this sign-in went to (mix-up attacks).
        if (query["iss"].ToString() is { Length: > 0 } iss && !string.Equals(iss, settings.Issuer, StringComparison.Ordinal))
            throw new SsoSignInRefusedException("issuer", $"The answer comes from {Truncate(iss, 200)}, not from this connection's issuer.");

        var configuration = await providers.ConfigurationAsync(settings.Issuer, cancellationToken);
        var idToken = await ExchangeAsync(configuration, settings, code, login.CodeVerifier, cancellationToken);
        var token = await ValidateIdTokenAsync(settings, idToken, login.Nonce, cancellationToken);
        return (IdentityOf(connection.Id, token), login.ReturnTo);
    }

    /// <summary>
    /// Validates an ID token for <paramref name="settings"/>: signature by a key of the issuer's JWKS (refreshed once when
    /// the key is unknown), issuer, audience = client id, expiry (and nbf when present) by our clock with the configured
    /// skew, and the nonce of the sign-in it answers.
    /// </summary>
    /// <exception cref="SsoSignInRefusedException">Reason <c>id_token</c> (or <c>nonce</c>), with the library's finding in the message.</exception>
    public async Task<JsonWebToken> ValidateIdTokenAsync(OidcSettings settings, string idToken, string expectedNonce, CancellationToken cancellationToken)
    {
        var result = await ValidateAsync(settings, idToken, cancellationToken);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since we cached them: one fresh read, then the same checks.
            providers.RequestRefresh(settings.Issuer);
            result = await ValidateAsync(settings, idToken, cancellationToken);
        }
        if (!result.IsValid) throw new SsoSignInRefusedException("id_token", $"The ID token is not valid: {result.Exception?.Message}");
        var token = (JsonWebToken)result.SecurityToken;
        if (!token.TryGetPayloadValue<string>("nonce", out var nonce) || !CryptographicEquals(nonce, expectedNonce))
            throw new SsoSignInRefusedException("nonce", "The ID token's nonce is not the one this sign-in sent.");
        return token;
    }

    private async Task<TokenValidationResult> ValidateAsync(OidcSettings settings, string idToken, CancellationToken cancellationToken)
    {
        var configuration = await providers.ConfigurationAsync(settings.Issuer, cancellationToken);
        return await Handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Asymmetric algorithms only: an "HS256" token keyed with a public key, or "none", must never pass.
            ValidAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"],
            // Our clock, not the library's: the same TimeProvider as every other expiry the CP checks.
            LifetimeValidator = (notBefore, expires, _, _) => WithinLifetime(notBefore, expires),
        });
    }

    private bool WithinLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var skew = options.Value.ClockSkew;
        return expires is { } exp && exp.ToUniversalTime() > now - skew && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + skew);
    }

    /// <summary>The code for tokens at the token endpoint (client_secret_basic or _post, with the PKCE verifier); the ID token.</summary>
    private async Task<string> ExchangeAsync(OpenIdConnectConfiguration configuration, OidcSettings settings, string code, string verifier, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = options.Value.OidcRedirectUri,
            ["code_verifier"] = verifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint);
        if (settings.TokenAuthMethod == "client_secret_post")
        {
            form["client_id"] = settings.ClientId;
            form["client_secret"] = settings.ClientSecret;
        }
        else
        {
            // RFC 6749 2.3.1: each part form-encoded before joining, so a ':' in the id or secret survives.
            var pair = $"{Uri.EscapeDataString(settings.ClientId)}:{Uri.EscapeDataString(settings.ClientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pair)));
        }
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var client = clients.CreateClient(SsoServices.ProviderClient);
        client.MaxResponseContentBufferSize = MaxTokenResponseBytes;
        JsonDocument body;
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
            body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or HoneyHive.Platform.Security.Outbound.OutboundAddressRefusedException)
        {
            throw new SsoSignInRefusedException("token_endpoint", $"The token endpoint could not be used: {e.Message}");
        }
        using (response)
        using (body)
        {
            if (!response.IsSuccessStatusCode)
            {
                var error = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("error", out var e) ? e.ToString() : "unknown";
                // invalid_grant: a code that was used before, expired, issued to another client or for another verifier.
                throw new SsoSignInRefusedException("code", $"The token endpoint refused the code ({(int)response.StatusCode} {Truncate(error, 64)}).");
            }
            if (body.RootElement.ValueKind != JsonValueKind.Object || !body.RootElement.TryGetProperty("id_token", out var idToken) || idToken.ValueKind != JsonValueKind.String)
                throw new SsoSignInRefusedException("id_token", "The token endpoint answered no ID token (is openid among the scopes?).");
            return idToken.GetString()!;
        }
    }

    private static SsoIdentity IdentityOf(Guid connectionId, JsonWebToken token)
    {
        var email = token.TryGetPayloadValue<string>("email", out var e) ? e : "";
        // email_verified is a boolean in the spec; some providers send the string "true".
        var verified = (token.TryGetPayloadValue<bool>("email_verified", out var v) && v)
            || (token.TryGetPayloadValue<string>("email_verified", out var s) && s == "true");
        var name = token.TryGetPayloadValue<string>("name", out var n) ? n : null;
        return new SsoIdentity(connectionId, token.Subject ?? "", email, verified, name);
    }

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
