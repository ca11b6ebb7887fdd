using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

public static class SamlServices
{
    /// <summary>The SAML service provider: options, the replay guard (cpdb) and the sign-in steps.</summary>
    public static IHostApplicationBuilder AddSaml(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SamlOptions>().BindConfiguration(SamlOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SamlOptions>, SamlOptionsValidator>();
        builder.Services.AddSingleton<SamlReplayGuard>();
        builder.Services.AddSingleton<SamlSignIn>();
        return builder;
    }
}
