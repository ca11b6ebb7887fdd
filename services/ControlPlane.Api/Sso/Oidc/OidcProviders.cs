using System.Collections.Concurrent;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace HoneyHive.ControlPlane.Api.Sso.Oidc;

/// <summary>
/// The discovery document and JWKS of each issuer, through Microsoft.IdentityModel's
/// <see cref="ConfigurationManager{T}"/> (cached, refreshed daily and on demand when a token names an unknown key).
/// Every fetch goes through the SSRF-guarded client (every connection and redirect checked), so a provider's document
/// cannot point us at an internal address.
/// </summary>
public sealed class OidcProviders(IHttpClientFactory clients, IOptions<SsoOptions> options)
{
    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> managers = new(StringComparer.Ordinal);

    /// <summary>The provider's configuration, checked: it names <paramref name="issuer"/> as its issuer and its endpoints use https when required.</summary>
    /// <exception cref="SsoSignInRefusedException">The document cannot be fetched, or does not match.</exception>
    public async Task<OpenIdConnectConfiguration> ConfigurationAsync(string issuer, CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await Manager(issuer).GetConfigurationAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or OutboundAddressRefusedException or ArgumentException)
        {
            throw new SsoSignInRefusedException("provider_unreachable", $"The discovery document of {issuer} could not be read: {e.Message}");
        }
        // OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer it was fetched for.
        if (!string.Equals(configuration.Issuer, issuer, StringComparison.Ordinal))
            throw new SsoSignInRefusedException("provider_mismatch", $"The discovery document of {issuer} names issuer {configuration.Issuer}.");
        foreach (var endpoint in new[] { configuration.AuthorizationEndpoint, configuration.TokenEndpoint })
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || (options.Value.RequireHttps && url.Scheme != "https"))
                throw new SsoSignInRefusedException("provider_mismatch", $"The discovery document of {issuer} names an endpoint that is not {(options.Value.RequireHttps ? "https" : "http(s)")}: {endpoint}");
        }
        return configuration;
    }

    /// <summary>Asks for a fresh document and JWKS on the next read (a token signed by a key we do not know yet: the provider may have rotated).</summary>
    public void RequestRefresh(string issuer) => Manager(issuer).RequestRefresh();

    private ConfigurationManager<OpenIdConnectConfiguration> Manager(string issuer) =>
        managers.GetOrAdd(issuer, i => new ConfigurationManager<OpenIdConnectConfiguration>(
            i.TrimEnd('/') + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(clients.CreateClient(SsoServices.ProviderClient)) { RequireHttps = options.Value.RequireHttps }));
}
