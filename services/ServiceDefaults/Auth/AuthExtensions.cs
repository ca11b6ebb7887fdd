using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>Data-plane authentication: project API keys (CP-issued JWTs join when the CP issue lands).</summary>
public static class AuthExtensions
{
    /// <summary>Kept for callers written before <see cref="ApiScopes"/>; the same string.</summary>
    public const string IngestScope = ApiScopes.Ingest;

    public static IHostApplicationBuilder AddDataPlaneAuthentication(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ApiKeyDirectory))) return builder;

        builder.AddPostgres("dpdb");
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Auth:ApiKeys").Get<ApiKeyDirectoryOptions>() ?? new ApiKeyDirectoryOptions());
        builder.Services.AddSingleton<KeyUsageRecorder>();
        builder.Services.AddHostedService<KeyUsageFlusher>();
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // Routes take their policy from RequireScope (ScopePolicies); the named "ingest" policy stays for code that
        // names it, and checks the same requirement.
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(IngestScope, ScopePolicies.For(ApiScopes.Ingest));
        return builder;
    }
}
