using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;

namespace HoneyHive.EndToEnd.Tests.Notifications;

/// <summary>A Host whose notification module sends its mail to an SMTP server run by the test.</summary>
public sealed class MailHost : HostProcess
{
    public SmtpRecorder Smtp { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Smtp = await SmtpRecorder.StartAsync();
        ExtraEnvironment["Notification__Smtp__Host"] = "127.0.0.1";
        ExtraEnvironment["Notification__Smtp__Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ExtraEnvironment["Notification__Smtp__From"] = "HoneyHive <no-reply@hh.example>";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

/// <summary>
/// The single-node Host as `./hh up` runs it: the control plane queues its mails on notifications.email and the
/// Host's own notification module delivers them over SMTP, links included, which work.
/// </summary>
public sealed class AccountMailTests(MailHost host) : IClassFixture<MailHost>
{
    [Fact]
    public async Task A_password_reset_asked_on_the_cp_port_arrives_by_mail_and_its_link_resets_the_password()
    {
        var bootstrap = host.ReadBootstrap();
        var email = bootstrap.GetProperty("admin_email").GetString()!;
        using var anonymous = host.Client(host.ControlPlaneApi);

        using var asked = await anonymous.PostAsJsonAsync(new Uri("/v1/auth/password-reset", UriKind.Relative), new { email });
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);

        var mail = await Eventually.ValueAsync(() => Task.FromResult(host.Smtp.To(email).FirstOrDefault(m => m.Subject.Contains("password", StringComparison.OrdinalIgnoreCase))),
            m => m is not null, "the reset mail");
        var link = mail!.Text.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("token=", StringComparison.Ordinal));
        var token = HttpUtility.ParseQueryString(new Uri(link).Query)["token"]!;
        Assert.Contains($"href=\"{WebUtility.HtmlEncode(link)}\"", mail.Html, StringComparison.Ordinal);

        const string NewPassword = "a brand new password for the admin 2026";
        using var confirm = await anonymous.PostAsJsonAsync(new Uri("/v1/auth/password-reset/confirm", UriKind.Relative), new { token, new_password = NewPassword });
        Assert.Equal(HttpStatusCode.NoContent, confirm.StatusCode);
        using var login = await anonymous.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new { email, password = NewPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        // An invitation by the admin reaches the invitee with the token the API returned once.
        var accessToken = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        using var admin = host.Client(host.ControlPlaneApi, accessToken);
        using var me = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/v1/auth/me", UriKind.Relative)));
        var orgId = me.RootElement.GetProperty("orgs")[0].GetProperty("id").GetString();
        var invitee = $"invitee-{Guid.NewGuid():N}@example.com";
        using var invited = await admin.PostAsJsonAsync(new Uri($"/v1/orgs/{orgId}/invitations", UriKind.Relative), new { email = invitee, role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        var acceptToken = JsonDocument.Parse(await invited.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("accept_token").GetString()!;
        var invitation = await Eventually.ValueAsync(() => Task.FromResult(host.Smtp.To(invitee) is [var first, ..] ? first : null), m => m is not null, "the invitation mail");
        Assert.Contains($"token={Uri.EscapeDataString(acceptToken)}", invitation!.Text, StringComparison.Ordinal);
    }
}
