using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Notifications;

/// <summary>
/// The data of a CloudEvent on <see cref="Topics.NotificationsEmail"/> asking for a password reset mail. It carries
/// the reset link, whose token is a credential: consumers deliver it to <see cref="To"/> and never log it.
/// </summary>
/// <param name="Template">Always <see cref="TemplateName"/>.</param>
/// <param name="To">The account's email address.</param>
/// <param name="ResetUrl">The link to open, with the single-use token.</param>
/// <param name="ExpiresAt">When the link stops working.</param>
public sealed record PasswordResetEmail(
    [property: JsonPropertyName("template")] string Template,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("reset_url")] string ResetUrl,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt)
{
    /// <summary>The template name of this mail.</summary>
    public const string TemplateName = "password_reset";

    /// <summary>The CloudEvent type of this mail.</summary>
    public const string EventType = "honeyhive.notifications.email.password_reset.v1";
}
