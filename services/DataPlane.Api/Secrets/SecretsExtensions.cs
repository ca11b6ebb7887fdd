using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Secrets;

public static class SecretsExtensions
{
    /// <summary>Provider secrets: the master-key ring (validated at startup), the cipher and the store, also as <see cref="IProviderSecrets"/>.</summary>
    public static IHostApplicationBuilder AddProviderSecrets(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ProviderSecretStore))) return builder;
        builder.AddPostgres(DataPlaneApiModule.Database);
        builder.Services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidator>();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<SecretsOptions>>().Value.CreateRing(
            sp.GetRequiredService<IHostEnvironment>().IsDevelopment(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<MasterKeyRing>()));
        builder.Services.AddSingleton<EnvelopeCipher>();
        // base_url is checked at save by the same SSRF guard the proxy connects through.
        builder.Services.AddOutboundGuard();
        builder.Services.AddSingleton<ProviderSecretStore>();
        builder.Services.AddSingleton<IProviderSecrets>(sp => sp.GetRequiredService<ProviderSecretStore>());
        return builder;
    }
}
