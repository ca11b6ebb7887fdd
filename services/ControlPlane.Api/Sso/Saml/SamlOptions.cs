using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>Configuration section <c>Sso:Saml</c>.</summary>
public sealed class SamlOptions
{
    public const string Section = "Sso:Saml";

    /// <summary>
    /// Where IdPs and browsers reach this CP API: the base of our ACS URLs and SP entity ids. From configuration only,
    /// never the request's Host header (a forged one would change the audience we accept).
    /// </summary>
    public string PublicApiUrl { get; set; } = "http://127.0.0.1:8081";

    /// <summary>How far the IdP's clock may be from ours when NotBefore and NotOnOrAfter are checked.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an AuthnRequest we sent can be answered (the user signing in at the IdP meanwhile).</summary>
    public TimeSpan RequestLifetime { get; set; } = TimeSpan.FromMinutes(10);
}

internal sealed class SamlOptionsValidator : IValidateOptions<SamlOptions>
{
    public ValidateOptionsResult Validate(string? name, SamlOptions options) =>
        !Uri.TryCreate(options.PublicApiUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            ? ValidateOptionsResult.Fail("Sso:Saml:PublicApiUrl must be the absolute http(s) URL where IdPs and browsers reach the CP API.")
        : options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5)
            ? ValidateOptionsResult.Fail("Sso:Saml:ClockSkew must be between 0 and 5 minutes.")
        : options.RequestLifetime <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Sso:Saml:RequestLifetime must be positive.")
        : ValidateOptionsResult.Success;
}
