using HoneyHive.ControlPlane.Api.Mfa;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Accounts;

public static class AccountServices
{
    /// <summary>
    /// Sign-in (password, then a TOTP or recovery code when MFA is on), sessions, password resets and the orgs' sign-in
    /// policies (require MFA, require SSO), with the platform parts they use: Redis (attempt limits) and the message
    /// log (reset mails on notifications.email).
    /// </summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection();
        builder.AddMessaging();
        builder.Services.AddOptions<LoginLimitOptions>().BindConfiguration(LoginLimitOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<PasswordResetOptions>().BindConfiguration(PasswordResetOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration["ControlPlane:PublicUrl"] is { Length: > 0 } url) options.PublicUrl = url;
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<AccountOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<LoginLimitOptions>>(sp => sp.GetRequiredService<AccountOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<SessionOptions>>(sp => sp.GetRequiredService<AccountOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<PasswordResetOptions>>(sp => sp.GetRequiredService<AccountOptionsValidator>());
        builder.Services.AddSingleton<UserAccounts>();
        builder.Services.AddSingleton<AttemptLimiter>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<PasswordResets>();
        builder.Services.AddSingleton<SignIn>();
        builder.Services.AddOptions<MfaOptions>().BindConfiguration(MfaOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MfaOptions>, MfaOptionsValidator>();
        builder.Services.AddSingleton<MfaStore>();
        builder.Services.AddSingleton<SignInChallenges>();
        builder.Services.AddSingleton<SignInPolicy>();
        builder.Services.AddSingleton<PasswordResetMailer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PasswordResetMailer>());
        return builder;
    }
}
