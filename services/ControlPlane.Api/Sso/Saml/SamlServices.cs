namespace HoneyHive.ControlPlane.Api.Sso.Saml;

public static class SamlServices
{
    /// <summary>The SAML service provider (its settings are the SSO ones, <c>Auth:Sso</c>): the replay guard (cpdb) and the sign-in steps.</summary>
    public static IHostApplicationBuilder AddSaml(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SamlReplayGuard>();
        builder.Services.AddSingleton<SamlSignIn>();
        return builder;
    }
}
