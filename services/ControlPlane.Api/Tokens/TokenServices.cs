using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Tokens;

public static class TokenServices
{
    /// <summary>
    /// The CP master key ring (validated at start), the signing keys in cpdb with their rotation, the token issuer,
    /// and the ring as the <see cref="ISigningKeySource"/> of the validator: where the control plane runs, it verifies
    /// tokens against its own keys (in the single-node Host, for the data plane too).
    /// </summary>
    public static IHostApplicationBuilder AddAccessTokenIssuing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ControlPlaneKeyOptions>().BindConfiguration(ControlPlaneKeyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ControlPlaneKeyOptions>, ControlPlaneKeyOptionsValidator>();
        builder.Services.AddOptions<SigningKeyOptions>().BindConfiguration(SigningKeyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SigningKeyOptions>, SigningKeyOptionsValidator>();
        builder.Services.AddKeyedSingleton(SigningKeyStore.RingKey, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<ControlPlaneKeyOptions>>().Value;
            return MasterKeyRing.Create(options.MasterKey, options.PreviousMasterKeys, ControlPlaneKeyOptions.Settings,
                sp.GetRequiredService<IHostEnvironment>().IsDevelopment(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<MasterKeyRing>());
        });
        builder.Services.AddSingleton<SigningKeyStore>();
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.Replace(ServiceDescriptor.Singleton<ISigningKeySource>(sp => sp.GetRequiredService<SigningKeyRing>()));
        builder.Services.AddSingleton<AccessTokenIssuer>();
        // After ControlPlaneDatabaseInitializer (hosted services start in order): the table exists by then.
        builder.Services.AddHostedService<SigningKeyMaintenance>();
        builder.AddAccessTokenValidation();
        return builder;
    }
}
