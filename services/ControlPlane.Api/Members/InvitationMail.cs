using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace HoneyHive.ControlPlane.Api.Members;

/// <summary>The <c>notifications.email</c> payload of an invitation; the notification service renders the template.</summary>
public sealed record InvitationEmail(
    [property: JsonPropertyName("template")] string Template,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("accept_url")] string AcceptUrl,
    [property: JsonPropertyName("org_name")] string OrgName,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt);

/// <summary>
/// Queues the invitation mail on <see cref="Topics.NotificationsEmail"/>. The accept URL carries the token (the mail
/// is how the invitee gets it); the page at <c>Invitations:AcceptUrl</c> posts it to <c>POST /v1/invitations/accept</c>.
/// </summary>
public sealed class InvitationMail(IEventPublisher publisher, IConfiguration configuration, TimeProvider clock)
{
    public const string Template = "invitation";
    public const string Source = "/honeyhive/control-plane";
    public const string EventType = "honeyhive.notifications.email.v1";

    /// <summary>How long an invitation may be accepted.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private string AcceptUrlBase => configuration["Invitations:AcceptUrl"] is { Length: > 0 } url ? url : "http://localhost:8081/accept-invitation";

    public async Task PublishAsync(InvitationItem invitation, string orgName, string token, CancellationToken cancellationToken)
    {
        var separator = AcceptUrlBase.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var data = new InvitationEmail(Template, invitation.Email, $"{AcceptUrlBase}{separator}token={Uri.EscapeDataString(token)}", orgName, invitation.ExpiresAt);
        // The invitation id makes a retried publish of the same mail one message.
        var id = $"invitation-{invitation.Id:N}";
        var envelope = new CloudEvent<InvitationEmail>(id, Source, EventType, data) { Topic = Topics.NotificationsEmail, Time = clock.GetUtcNow() };
        try
        {
            await publisher.PublishAsync(new OutgoingMessage(Topics.NotificationsEmail, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), cancellationToken);
        }
        catch (MessageLogUnavailableException)
        {
            throw new ApiRequestException(StatusCodes.Status503ServiceUnavailable, null, "The invitation mail cannot be queued right now; nothing was created. Try again shortly.");
        }
    }
}
