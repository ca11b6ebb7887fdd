using HoneyHive.Contracts;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Alerts;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Api.Keys;
using HoneyHive.ControlPlane.Api.Notifications;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.ControlPlane.Api.Projects;
using HoneyHive.ControlPlane.Api.Sso;
using HoneyHive.ControlPlane.Api.Sso.Saml;
using HoneyHive.ControlPlane.Api.Tenancy;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ControlPlane.Api;

/// <summary>Auth, RBAC, tenancy, keys, prompts, alert and evaluator configs, JWKS.</summary>
public static class ControlPlaneApiModule
{
    public const string AppId = AppIds.ControlPlaneApi;

    /// <summary>The control plane's own database; the data plane never opens it.</summary>
    public const string Database = "cpdb";

    /// <summary>
    /// Every authenticated control-plane route: a user's access token or an API key, through the CP's own scheme
    /// (named, because in the single-node Host the data plane's scheme is the default).
    /// </summary>
    public static AuthorizationPolicy Authenticated { get; } =
        new AuthorizationPolicyBuilder(ControlPlaneAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build();

    public static IHostApplicationBuilder AddControlPlaneApi(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres(Database);
        builder.Services.AddSingleton<Bootstrapper>();
        builder.Services.AddHostedService<ControlPlaneDatabaseInitializer>();
        builder.Services.AddSingleton<GrantResolver>();
        builder.Services.AddSingleton<TenancyTree>();
        builder.Services.AddSingleton<ControlPlaneAccess>();
        builder.Services.AddSingleton<ControlPlaneKeyDirectory>();
        builder.AddAccessTokenIssuing();
        builder.AddAccounts();
        builder.AddSso();
        builder.AddSaml();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ControlPlaneAuthenticationHandler>(ControlPlaneAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddTenancy();
        // Alert and notification-channel URLs (webhooks, Slack) are checked against the SSRF policy when they are saved.
        builder.Services.AddOutboundGuard();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChannelDeps>();
        builder.Services.AddSingleton<SsoConnectionDeps>();
        builder.AddApiDocument(ApiDocuments.ControlPlane);
        return builder;
    }

    public static RouteGroupBuilder MapControlPlaneApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithGroupName(ApiDocuments.ControlPlane);
        group.MapApiDocument(ApiDocuments.ControlPlane);
        // Routes open to anyone (sign-in, JWKS, accepting an invitation) map on `group` with AllowAnonymous;
        // everything else on `api`, which refuses unauthenticated callers before a handler runs.
        var api = group.MapGroup("").RequireAuthorization(Authenticated);
        group.MapJwksApi();
        group.MapAuthApi(api);
        group.MapSsoAuthApi();
        group.MapSamlAuthApi();
        api.MapApiKeysApi();
        api.MapLegacyProjectsApi();
        api.MapTenancyApi(group);
        api.MapAlertsApi();
        api.MapNotificationChannelsApi();
        api.MapOrgSecurityApi();
        api.MapSsoConnectionsApi();
        return group;
    }
}
