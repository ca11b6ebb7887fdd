using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Notification;

/// <summary>Consumes notifications.>, delivers email, Slack and webhooks.</summary>
public static class NotificationModule
{
    public const string AppId = AppIds.Notification;

    public static IHostApplicationBuilder AddNotification(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapNotification(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
