using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class AccessTokenServices
{
    /// <summary>
    /// <see cref="AccessTokenOptions"/> from <c>Auth:Tokens</c> and the <see cref="AccessTokenValidator"/> over the
    /// registered <see cref="ISigningKeySource"/> (the CP's key ring, or the DP's JWKS cache). Idempotent: in the
    /// single-node Host both planes call it.
    /// </summary>
    public static IHostApplicationBuilder AddAccessTokenValidation(this IHostApplicationBuilder builder)
    {
        builder.AddAccessTokenOptions();
        builder.Services.TryAddSingleton<AccessTokenValidator>();
        return builder;
    }

    /// <summary>
    /// <see cref="AccessTokenOptions"/> from <c>Auth:Tokens</c> and the clock, without a validator: the data plane builds
    /// its own over the JWKS, so it works the same in the single-node Host (where the CP's key ring is the registered source).
    /// </summary>
    public static IHostApplicationBuilder AddAccessTokenOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(builder.Configuration.GetSection(AccessTokenOptions.Section).Get<AccessTokenOptions>() ?? new AccessTokenOptions());
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
