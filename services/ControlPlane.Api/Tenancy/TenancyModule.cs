using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Members;
using HoneyHive.ControlPlane.Api.Roles;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>The tenancy tree, members, invitations, roles and the audit log read: their services and routes.</summary>
public static class TenancyModule
{
    public static IHostApplicationBuilder AddTenancy(this IHostApplicationBuilder builder)
    {
        // Invitation mails go out on notifications.email.
        builder.AddMessaging();
        builder.Services.AddSingleton<InvitationMail>();
        return builder;
    }

    /// <param name="api">The authenticated control-plane group.</param>
    /// <param name="anonymous">The group open to anyone (accepting an invitation).</param>
    public static void MapTenancyApi(this IEndpointRouteBuilder api, IEndpointRouteBuilder anonymous)
    {
        api.MapOrgsApi();
        api.MapVirtualDataplanesApi();
        api.MapDataPlanesApi();
        api.MapWorkspacesApi();
        api.MapProjectsApi();
        api.MapProjectQuotasApi();
        api.MapMembersApi();
        api.MapInvitationsApi(anonymous);
        api.MapRolesApi();
        api.MapAuditApi();
    }
}
