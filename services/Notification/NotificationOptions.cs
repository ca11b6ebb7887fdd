using System.Globalization;
using HoneyHive.Contracts;

namespace HoneyHive.Notification;

/// <summary>Settings of the notification service (configuration section <c>Notification</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notification";

    /// <summary>Durable consumer of <see cref="AlertTopic"/> (alert stage changes, experiment completions).</summary>
    public string AlertConsumer { get; set; } = "notification-alerts";

    public string AlertTopic { get; set; } = Topics.NotificationsAlert;

    /// <summary>Durable consumer of <see cref="EmailTopic"/> (the control plane's mails: password reset, invitations).</summary>
    public string EmailConsumer { get; set; } = "notification-emails";

    public string EmailTopic { get; set; } = Topics.NotificationsEmail;

    /// <summary>
    /// Where the durable consumers start when first created: every stored message (false, the default: nothing
    /// published before the service first ran is lost) or only new ones (several test Hosts sharing one NATS server).
    /// </summary>
    public bool StartWithNewMessages { get; set; }

    /// <summary>
    /// Waits before each new try of a message whose delivery failed, in seconds, comma-separated; the last one repeats.
    /// A receiver that is down for a while gets the notification on the first try after it is back.
    /// </summary>
    public string BackoffSeconds { get; set; } = "1,2,5,10,30,60";

    /// <summary>
    /// Tries of a message in all (the first included). After the last one its undelivered destinations are marked dead in
    /// the ledger and the message goes to <c>deadletter.notifications.*</c>. The default (20) spans about 15 minutes.
    /// </summary>
    public int MaxAttempts { get; set; } = 20;

    /// <summary>Longest wait for one receiver (SMTP session, HTTP request).</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Where the web UI is, for the links in notifications (a project's page is <c>{AppUrl}/p/{project_id}</c>); the UI's
    /// default port here, and <c>./hh up</c> writes the one it serves.
    /// </summary>
    public string AppUrl { get; set; } = "http://localhost:3000";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>The wait before try <paramref name="attempt"/> + 1 of a message tried <paramref name="attempt"/> times.</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        var steps = Backoff();
        return steps[Math.Clamp(attempt - 1, 0, steps.Length - 1)];
    }

    /// <summary>The parsed <see cref="BackoffSeconds"/>; throws naming the setting when it is malformed.</summary>
    public TimeSpan[] Backoff()
    {
        var parts = BackoffSeconds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var steps = new TimeSpan[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                throw new InvalidOperationException($"{Section}:{nameof(BackoffSeconds)}: '{parts[i]}' is not a number of seconds.");
            steps[i] = TimeSpan.FromSeconds(seconds);
        }
        return steps.Length > 0 ? steps : throw new InvalidOperationException($"{Section}:{nameof(BackoffSeconds)} must name at least one wait.");
    }
}

/// <summary>
/// The SMTP relay (section <c>Notification:Smtp</c>). Amazon SES is an SMTP endpoint like any other:
/// Host <c>email-smtp.&lt;region&gt;.amazonaws.com</c>, Port 587 with StartTls (or 465 with UseTls), User and Password the
/// SES SMTP credentials, From a verified identity.
/// </summary>
public sealed class SmtpOptions
{
    public string Host { get; set; } = "localhost";

    public int Port { get; set; } = 25;

    /// <summary>TLS from the first byte (port 465).</summary>
    public bool UseTls { get; set; }

    /// <summary>Require STARTTLS (port 587). Neither set: STARTTLS when the server offers it.</summary>
    public bool StartTls { get; set; }

    public string? User { get; set; }

    public string? Password { get; set; }

    public string From { get; set; } = "HoneyHive <no-reply@localhost>";
}
