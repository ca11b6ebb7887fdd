using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso;

/// <summary>Configuration section <c>Auth:Sso</c>: single sign-on through an org's identity provider.</summary>
public sealed class SsoOptions
{
    public const string Section = "Auth:Sso";

    /// <summary>
    /// Where browsers reach this CP API: the redirect URI registered at a provider and the start URLs the sign-in page
    /// follows are built on it. Defaults to <c>{ControlPlane:PublicUrl}/api/cp</c>, the web UI's proxy to the CP, so the
    /// state cookie and the session cookie are the web UI's own. Never taken from the request's Host header.
    /// </summary>
    public string PublicApiUrl { get; set; } = "";

    /// <summary>The web UI (<c>ControlPlane:PublicUrl</c>): where the browser lands after signing in, or on the sign-in page with the reason when refused.</summary>
    public string PublicUrl { get; set; } = "http://127.0.0.1:3000";

    /// <summary>
    /// Providers must be reached over https (issuer, discovery document, JWKS, token endpoint). Only a test or a
    /// local development provider on http turns this off; the SSRF guard applies either way.
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>How long a started sign-in (its state, nonce and PKCE verifier) waits for the provider's answer.</summary>
    public TimeSpan FlowLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Email-domain look-ups one client address may make per <see cref="DiscoveryWindow"/> (so the route cannot list which domains use SSO).</summary>
    public int MaxDiscoveriesPerIp { get; set; } = 30;

    public TimeSpan DiscoveryWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Clock difference allowed between us and the provider when checking an ID token's lifetime.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The redirect URI of OIDC connections (what an admin registers at the provider).</summary>
    public string OidcRedirectUri => PublicApiUrl.TrimEnd('/') + "/v1/auth/sso/oidc/callback";

    /// <summary>Where the browser starts a sign-in through <paramref name="connectionId"/>.</summary>
    public string StartUrl(string protocol, Guid connectionId) => $"{PublicApiUrl.TrimEnd('/')}/v1/auth/sso/{protocol}/{connectionId}/start";
}

internal sealed class SsoOptionsValidator : IValidateOptions<SsoOptions>
{
    public ValidateOptionsResult Validate(string? name, SsoOptions options) =>
        !IsHttpUrl(options.PublicApiUrl)
            ? ValidateOptionsResult.Fail("Auth:Sso:PublicApiUrl must be an absolute http(s) URL (where browsers reach the CP API).")
        : !IsHttpUrl(options.PublicUrl)
            ? ValidateOptionsResult.Fail("ControlPlane:PublicUrl must be an absolute http(s) URL (where the web UI is served).")
        : options.FlowLifetime <= TimeSpan.Zero || options.DiscoveryWindow <= TimeSpan.Zero || options.MaxDiscoveriesPerIp < 1 || options.ClockSkew < TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Auth:Sso: FlowLifetime and DiscoveryWindow must be positive, MaxDiscoveriesPerIp at least 1, ClockSkew not negative.")
        : ValidateOptionsResult.Success;

    private static bool IsHttpUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";
}
