using HoneyHive.ControlPlane.Api.Sso.Oidc;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso;

public static class SsoServices
{
    /// <summary>The HttpClient that calls identity providers (discovery, JWKS, token endpoint), behind the SSRF guard.</summary>
    public const string ProviderClient = "sso-provider";

    /// <summary>SSO connections, email-domain routing, just-in-time provisioning and the OIDC relying party.</summary>
    public static IHostApplicationBuilder AddSso(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SsoOptions>().BindConfiguration(SsoOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration["ControlPlane:PublicUrl"] is { Length: > 0 } url) options.PublicUrl = url;
                if (options.PublicApiUrl.Length == 0) options.PublicApiUrl = options.PublicUrl.TrimEnd('/') + "/api/cp";
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SsoOptions>, SsoOptionsValidator>();
        builder.Services.AddHttpClient(ProviderClient, client => client.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
            .AddOutboundGuard()
            // The token request carries the client secret (basic auth or form): no request logging of any kind.
            .RemoveAllLoggers();
        builder.Services.AddSingleton<SsoConnectionStore>();
        builder.Services.AddSingleton<SsoSignIn>();
        builder.Services.AddSingleton<OidcProviders>();
        builder.Services.AddSingleton<OidcLoginStates>();
        builder.Services.AddSingleton<OidcRelyingParty>();
        return builder;
    }
}
