using System.Text.Json.Nodes;

namespace HoneyHive.Notification.Delivery;

/// <summary>The kinds of destination, as notification channels and alerts' notification details spell them.</summary>
public static class ChannelKinds
{
    public const string Email = "EMAIL";
    public const string Slack = "SLACK";
    public const string Webhook = "WEBHOOK";
    public static readonly string[] All = [Email, Slack, Webhook];
}

/// <summary>What a notification says, in each form a destination takes.</summary>
/// <param name="EventName">The webhook's <c>X-HoneyHive-Event</c> (e.g. <c>alert.stage_changed</c>).</param>
/// <param name="Subject">Mail subject.</param>
/// <param name="Text">Plain-text body (mail, and Slack's fallback <c>text</c>).</param>
/// <param name="Html">HTML body of the mail.</param>
/// <param name="Slack">Incoming-webhook payload (<c>text</c> and <c>blocks</c>); null for a mail-only notification.</param>
/// <param name="Webhook">The JSON a generic webhook receives (without the delivery id, added per destination).</param>
public sealed record NotificationContent(string EventName, string Subject, string Text, string Html, JsonObject? Slack, JsonObject? Webhook);

/// <summary>
/// One destination of one message. Its <see cref="Id"/> (<c>{message id}:{destination key}</c>) is the ledger's key:
/// a redelivered message finds it sent and sends nothing.
/// </summary>
/// <param name="MessageId">The CloudEvent id.</param>
/// <param name="Key">The destination within the message (e.g. <c>alert:critical:webhook</c>, <c>channel:{id}</c>).</param>
/// <param name="Kind">EMAIL, SLACK or WEBHOOK.</param>
/// <param name="Target">The address or URL. A Slack or webhook URL may carry a credential in its path: never logged.</param>
/// <param name="Content">What to send.</param>
/// <param name="Secret">The webhook's signing secret (plaintext, only in memory), or null to send unsigned.</param>
/// <param name="SecretError">Why the secret could not be opened (the delivery fails for good instead of going unsigned).</param>
public sealed record Delivery(string MessageId, string Key, string Kind, string Target, NotificationContent Content, string? Secret = null, string? SecretError = null)
{
    public string Id => $"{MessageId}:{Key}";

    /// <summary>The destination as the ledger keeps it: the address, or a URL's scheme and host only.</summary>
    public string Display => Kind == ChannelKinds.Email ? Target : Redact(Target);

    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(invalid URL)";
}

/// <summary>
/// Sends one delivery of one kind. Returns once the receiver took it (SMTP accepted the message after DATA, HTTP answered
/// 2xx); nothing may be assumed when it throws. <see cref="DeliveryRejectedException"/> means another try cannot help (a
/// refused address, a 4xx, a mailbox that does not exist): the delivery is dead at once. Anything else is retried with the
/// service's backoff. Implementations never put the target URL, a secret or the content's links in an exception message.
/// </summary>
public interface INotificationSender
{
    /// <summary>EMAIL, SLACK or WEBHOOK.</summary>
    string Kind { get; }

    Task SendAsync(Delivery delivery, CancellationToken cancellationToken);
}

/// <summary>A delivery that no further try can make succeed.</summary>
public sealed class DeliveryRejectedException(string message, Exception? inner = null) : Exception(message, inner);
