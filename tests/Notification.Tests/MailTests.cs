using HoneyHive.Contracts.Notifications;
using HoneyHive.ControlPlane.Api.Members;
using HoneyHive.ServiceDefaults.Auth;
using System.Text.Json.Nodes;
using HoneyHive.Notification.Delivery;

namespace HoneyHive.Notification.Tests;

/// <summary>The control plane's mails (on notifications.email, as AccountsApi and InvitationMail publish them) and experiment completions.</summary>
public sealed class MailTests(NotificationFixture fixture) : IClassFixture<NotificationFixture>, IAsyncLifetime
{
    private NotificationHarness harness = null!;

    public async Task InitializeAsync() => harness = await NotificationHarness.StartAsync(fixture);

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Password_reset_and_invitation_mails_arrive_with_their_links_which_never_reach_the_logs()
    {
        var token = Guid.NewGuid().ToString("N");
        var reset = new PasswordResetEmail(PasswordResetEmail.TemplateName, $"reset-{token[..8]}@example.com",
            $"https://hh.example/reset-password?token={token}", DateTimeOffset.UtcNow.AddMinutes(30));
        await harness.PublishAsync(harness.EmailTopic, $"password-reset-{token}", PasswordResetEmail.EventType, reset);

        var inviteToken = Guid.NewGuid().ToString("N");
        var invitation = new InvitationEmail(InvitationMail.Template, $"invitee-{inviteToken[..8]}@example.com",
            $"https://hh.example/accept-invitation?token={inviteToken}", "Acme & Co", DateTime.UtcNow.AddDays(7));
        await harness.PublishAsync(harness.EmailTopic, $"invitation-{inviteToken}", InvitationMail.EventType, invitation);

        var resetMail = await Eventually.ValueAsync(() => Task.FromResult(fixture.Smtp.To(reset.To).SingleOrDefault()), m => m is not null, "the reset mail");
        var inviteMail = await Eventually.ValueAsync(() => Task.FromResult(fixture.Smtp.To(invitation.To).SingleOrDefault()), m => m is not null, "the invitation mail");

        Assert.Equal("Reset your HoneyHive password", resetMail!.Subject);
        Assert.Contains(reset.ResetUrl, resetMail.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"{reset.ResetUrl}\"", resetMail.Html, StringComparison.Ordinal);
        Assert.Equal("You are invited to Acme & Co on HoneyHive", inviteMail!.Subject);
        Assert.Contains(invitation.AcceptUrl, inviteMail.Text, StringComparison.Ordinal);
        Assert.Contains("Acme &amp; Co", inviteMail.Html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{invitation.AcceptUrl}\"", inviteMail.Html, StringComparison.Ordinal);

        Assert.Equal("sent", Assert.Single(await fixture.LedgerAsync($"password-reset-{token}")).Status);
        Assert.Equal("sent", Assert.Single(await fixture.LedgerAsync($"invitation-{inviteToken}")).Status);
        var logged = string.Join("\n", harness.LogLines);
        Assert.Contains($"password-reset-{token}", logged, StringComparison.Ordinal); // the log does speak of the delivery...
        Assert.DoesNotContain($"token={token}", logged, StringComparison.Ordinal); // ...never of its link
        Assert.DoesNotContain($"token={inviteToken}", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_mail_template_is_dead_lettered_at_once()
    {
        await harness.PublishAsync(harness.EmailTopic, "odd-mail-1", "honeyhive.notifications.email.v1", new { template = "newsletter", to = "x@example.com" });
        var letters = await Eventually.ValueAsync(() => harness.DeadLettersAsync(harness.EmailTopic, "odd-mail-1"), l => l.Count == 1, "the dead letter");
        Assert.Contains("Unknown mail template 'newsletter'", letters[0].Headers![Platform.Messaging.DeadLetterHeaders.Error].ToString(), StringComparison.Ordinal);
        Assert.Empty(fixture.Smtp.To("x@example.com"));
    }

    [Fact]
    public async Task An_experiments_completion_goes_to_the_projects_channels_or_else_to_its_members()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var withChannel = await fixture.SeedProjectAsync();
        await fixture.AddChannelAsync(withChannel.OrgId, "workspace", withChannel.WorkspaceId, ChannelKinds.Webhook, new JsonObject { ["url"] = receiver.Url("/runs") },
            secret: "runs-secret-0123456789", stages: ["CRITICAL"]);
        var member = await fixture.AddUserAsync(withChannel.OrgId, BuiltInRoles.Member);

        var withoutChannel = await fixture.SeedProjectAsync();
        var reader = await fixture.AddUserAsync(withoutChannel.OrgId, BuiltInRoles.Viewer);
        var stranger = await fixture.AddUserAsync(withoutChannel.OrgId, null);

        var first = new ExperimentFinished(withChannel.ProjectId.ToString(), "run-1", "dataset", "completed", 10, 10, 1);
        var second = new ExperimentFinished(withoutChannel.ProjectId.ToString(), "run-2", "evaluate", "completed", 5, 5, 0);
        await harness.PublishAsync(harness.AlertTopic, first.Id, ExperimentFinished.EventType, first);
        await harness.PublishAsync(harness.AlertTopic, second.Id, ExperimentFinished.EventType, second);

        await Eventually.TrueAsync(() => receiver.On("/runs").Count == 1, "the channel's webhook");
        var hook = receiver.On("/runs")[0];
        Assert.Equal("experiment.finished", hook.Headers["X-HoneyHive-Event"]);
        Assert.Equal("run-1", JsonNode.Parse(hook.Text)!["data"]!["run_id"]!.GetValue<string>());
        var mail = await Eventually.ValueAsync(() => Task.FromResult(fixture.Smtp.To(reader.Email).SingleOrDefault()), m => m is not null, "the member's mail");
        Assert.Contains("5 of 5 done, 0 failed", mail!.Text, StringComparison.Ordinal);
        Assert.Empty(fixture.Smtp.To(stranger.Email));
        // The project with a channel mails nobody.
        await Eventually.ValueAsync(harness.AlertsUnsettledAsync, n => n == 0, "both settled");
        Assert.Empty(fixture.Smtp.To(member.Email));
    }
}
