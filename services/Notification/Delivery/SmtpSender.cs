using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace HoneyHive.Notification.Delivery;

/// <summary>
/// Mail over SMTP with MailKit: one session per delivery (notifications are few; a pooled session would have to notice a
/// relay that dropped it), multipart text and HTML. Any SMTP endpoint works, Amazon SES's included (see
/// <see cref="SmtpOptions"/>). A 5xx answer to the sender or a recipient is permanent; anything else is retried.
/// </summary>
public sealed class SmtpSender(IOptions<NotificationOptions> options) : INotificationSender
{
    public string Kind => ChannelKinds.Email;

    public async Task SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var smtp = settings.Smtp;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From));
        try
        {
            message.To.Add(MailboxAddress.Parse(delivery.Target));
        }
        catch (ParseException e)
        {
            throw new DeliveryRejectedException("The address is not a mail address.", e);
        }
        message.Subject = delivery.Content.Subject;
        // The message id derives from the delivery: a repeat after a crash carries the same Message-Id, which mail
        // systems use to fold duplicates.
        message.MessageId = $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(delivery.Id)))[..32]}@honeyhive";
        message.Body = new BodyBuilder { TextBody = delivery.Content.Text, HtmlBody = delivery.Content.Html }.ToMessageBody();

        using var client = new SmtpClient { Timeout = (int)settings.SendTimeout.TotalMilliseconds };
        var security = smtp.UseTls ? SecureSocketOptions.SslOnConnect : smtp.StartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.User)) await client.AuthenticateAsync(smtp.User, smtp.Password ?? "", cancellationToken);
            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode >= 500 && e.ErrorCode is SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.SenderNotAccepted or SmtpErrorCode.MessageNotAccepted)
        {
            throw new DeliveryRejectedException($"The mail server refused the message: {(int)e.StatusCode} {e.ErrorCode}.", e);
        }
        catch (SmtpCommandException e)
        {
            throw new IOException($"The mail server answered {(int)e.StatusCode} ({e.ErrorCode}).", e);
        }
        catch (ServiceNotConnectedException e)
        {
            throw new IOException("The mail server closed the connection.", e);
        }
    }
}
