using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>Data-plane authentication: project API keys and the control plane's access tokens (verified through its JWKS).</summary>
public static class AuthExtensions
{
    public static IHostApplicationBuilder AddDataPlaneAuthentication(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ApiKeyDirectory))) return builder;

        builder.AddPostgres("dpdb");
        builder.AddAccessTokenOptions();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Auth:ApiKeys").Get<ApiKeyDirectoryOptions>() ?? new ApiKeyDirectoryOptions());
        builder.Services.AddSingleton<KeyUsageRecorder>();
        builder.Services.AddHostedService<KeyUsageFlusher>();
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddHostedService<ApiKeyCacheInvalidator>();
        builder.Services.AddSingleton<DataPlaneProjects>();
        // The DP's own key source and validator, never the process's ISigningKeySource: in the single-node Host that is
        // the CP's key ring, and the DP must verify exactly as it does when it runs apart from the CP.
        builder.Services.AddSingleton(sp => new JwksKeySource(
            sp.GetRequiredService<AccessTokenOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<JwksKeySource>>()));
        builder.Services.AddSingleton(sp => new DataPlaneTokens(
            sp.GetRequiredService<JwksKeySource>(), sp.GetRequiredService<AccessTokenOptions>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<DataPlaneAuthenticator>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        return builder;
    }
}
