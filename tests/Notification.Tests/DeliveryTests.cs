using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Notification.Delivery;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.Notification.Tests;

/// <summary>
/// Alert stage changes published as the DP engine publishes them (CloudEvents on real JetStream), delivered to real
/// receivers run here: an SMTP server recording every mail and Kestrel receivers standing for Slack and webhooks.
/// </summary>
public sealed class DeliveryTests(NotificationFixture fixture) : IClassFixture<NotificationFixture>, IAsyncLifetime
{
    private NotificationHarness harness = null!;

    public async Task InitializeAsync() => harness = await NotificationHarness.StartAsync(fixture);

    public async Task DisposeAsync() => await harness.DisposeAsync();

    /// <summary>Checks a webhook's signature by hand (not with the service's own code): HMAC-SHA256 over "t.body".</summary>
    private static bool SignedWith(ReceivedRequest request, string secret)
    {
        var header = request.Headers["X-HoneyHive-Signature"];
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var signed = Encoding.UTF8.GetBytes(parts["t"] + ".").Concat(request.Body).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        var age = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"], CultureInfo.InvariantCulture);
        return expected == parts["v1"] && age is >= 0 and < 300;
    }

    [Fact]
    public async Task Each_channel_delivers_a_critical_stage_change_email_slack_and_a_signed_webhook()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var project = await fixture.SeedProjectAsync();
        const string Secret = "alert-webhook-secret-0123456789";
        var alertId = Guid.NewGuid();
        await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = fixture.AlertWebhook(alertId, "critical", receiver.Url("/alert-hook"), Secret),
            ["resolved"] = new JsonObject { ["channel"] = "EMAIL", ["scope"] = "SPECIFIC_MEMBER", ["user_ids"] = new JsonArray() },
        }, id: alertId);
        await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/slack") });
        await fixture.AddChannelAsync(project.OrgId, "org", project.OrgId, ChannelKinds.Email, new JsonObject { ["emails"] = new JsonArray("ops@example.com") });

        var change = NotificationFixture.Change(project, alertId, AlertNames.StageCritical);
        await harness.PublishAlertAsync(change);

        var mail = await Eventually.ValueAsync(() => Task.FromResult(fixture.Smtp.To("ops@example.com").FirstOrDefault(m => m.Text.Contains(change.ProjectId, StringComparison.Ordinal))),
            m => m is not null, "the org channel's mail");
        await Eventually.TrueAsync(() => receiver.On("/alert-hook").Count == 1 && receiver.On("/slack").Count == 1, "the webhook and the Slack message");

        Assert.Contains("CRITICAL", mail!.Subject, StringComparison.Ordinal);
        Assert.Contains("Error rate", mail.Subject, StringComparison.Ordinal);
        Assert.Equal("alerts@hh.example", mail.Message.From.Mailboxes.Single().Address);
        foreach (var expected in new[] { "Value: 0.31", "Threshold: > 0.2", "AVERAGE over 412 events", "2026-12-06 12:00:00Z to 2026-12-06 13:00:00Z", $"https://hh.example/p/{project.ProjectId}" })
            Assert.Contains(expected, mail.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"https://hh.example/p/{project.ProjectId}\"", mail.Html, StringComparison.Ordinal);

        var hook = receiver.On("/alert-hook").Single();
        Assert.True(SignedWith(hook, Secret), "the webhook's X-HoneyHive-Signature does not verify with its secret");
        Assert.False(SignedWith(hook, Secret + "x"), "a wrong secret verified");
        Assert.Equal($"{change.Id}:alert:critical:webhook", hook.Headers["X-HoneyHive-Delivery"]);
        Assert.Equal("alert.stage_changed", hook.Headers["X-HoneyHive-Event"]);
        Assert.StartsWith("application/json", hook.Headers["Content-Type"], StringComparison.Ordinal);
        var body = JsonNode.Parse(hook.Text)!;
        Assert.Equal(("CRITICAL", "OK"), (body["data"]!["stage"]!.GetValue<string>(), body["data"]!["previous_stage"]!.GetValue<string>()));
        Assert.Equal(alertId.ToString(), body["data"]!["alert_id"]!.GetValue<string>());
        Assert.Equal(hook.Headers["X-HoneyHive-Delivery"], body["delivery_id"]!.GetValue<string>());

        var slack = JsonNode.Parse(receiver.On("/slack").Single().Text)!;
        Assert.Contains("CRITICAL: Error rate", slack["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var blocks = slack["blocks"]!.AsArray();
        Assert.Equal("header", blocks[0]!["type"]!.GetValue<string>());
        Assert.Contains(blocks, b => b!["type"]!.GetValue<string>() == "actions"
            && b["elements"]![0]!["url"]!.GetValue<string>() == $"https://hh.example/p/{project.ProjectId}");
        Assert.False(receiver.On("/slack").Single().Headers.ContainsKey("X-HoneyHive-Signature"));

        var ledger = await Eventually.ValueAsync(() => fixture.LedgerAsync(change.Id), l => l.Count == 3 && l.All(r => r.Status == "sent"), "three sent deliveries");
        // A Slack or webhook URL may carry a credential in its path: the ledger keeps the scheme and host only.
        Assert.All(ledger.Where(r => r.Channel != "EMAIL"), r => Assert.Equal($"http://127.0.0.1:{receiver.Port}/…", r.Destination));
        Assert.DoesNotContain(harness.LogLines, l => l.Contains(Secret, StringComparison.Ordinal) || l.Contains("/alert-hook", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Routing_follows_the_alerts_destination_per_stage_and_the_channels_of_project_workspace_and_org_subscribed_to_it()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var project = await fixture.SeedProjectAsync();
        var sibling = await fixture.SeedProjectAsync(project.OrgId, project.WorkspaceId);
        var otherWorkspace = await fixture.SeedProjectAsync(project.OrgId);
        var otherOrg = await fixture.SeedProjectAsync();

        var owner = await fixture.AddUserAsync(project.OrgId, BuiltInRoles.Owner);
        var viewer = await fixture.AddUserAsync(project.OrgId, BuiltInRoles.Viewer);
        var boundHere = await fixture.AddUserAsync(project.OrgId, null, ("project", project.ProjectId, BuiltInRoles.Viewer));
        var boundOnWorkspace = await fixture.AddUserAsync(project.OrgId, null, ("workspace", project.WorkspaceId, BuiltInRoles.Member));
        var boundElsewhere = await fixture.AddUserAsync(project.OrgId, null, ("project", sibling.ProjectId, BuiltInRoles.Admin));
        var noRole = await fixture.AddUserAsync(project.OrgId, null);
        var outsider = await fixture.AddUserAsync(otherOrg.OrgId, BuiltInRoles.Owner);
        var disabled = await fixture.AddUserAsync(project.OrgId, BuiltInRoles.Admin);
        await using (var connection = await fixture.Cpdb.OpenConnectionAsync())
        await using (var command = new Npgsql.NpgsqlCommand($"UPDATE users SET disabled_at = now() WHERE id = '{disabled.Id}'", connection))
            await command.ExecuteNonQueryAsync();

        // No warning destination: a warning goes to critical's. The resolution goes to named members only (an outsider named is dropped).
        var alertId = await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = new JsonObject { ["channel"] = "EMAIL", ["scope"] = "ALL_PROJECT_MEMBERS", ["metadata"] = new JsonObject { ["emails"] = new JsonArray("extra@example.com") } },
            ["resolved"] = new JsonObject { ["channel"] = "EMAIL", ["scope"] = "SPECIFIC_MEMBER", ["user_ids"] = new JsonArray(viewer.Id.ToString(), outsider.Id.ToString()) },
        });
        await fixture.AddChannelAsync(project.OrgId, "workspace", project.WorkspaceId, ChannelKinds.Webhook, new JsonObject { ["url"] = receiver.Url("/workspace-resolutions") },
            secret: "workspace-secret-0123456789", stages: [AlertNames.StageResolution]);
        await fixture.AddChannelAsync(project.OrgId, "org", project.OrgId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/org-all") });
        // The owner is on the org's list too: still one mail.
        await fixture.AddChannelAsync(project.OrgId, "org", project.OrgId, ChannelKinds.Email, new JsonObject { ["emails"] = new JsonArray(owner.Email.ToUpperInvariant(), $"list-{project.OrgId:N}@example.com") },
            stages: [AlertNames.StageWarning]);
        await fixture.AddChannelAsync(project.OrgId, "project", sibling.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/sibling") });
        await fixture.AddChannelAsync(project.OrgId, "workspace", otherWorkspace.WorkspaceId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/other-workspace") });
        await fixture.AddChannelAsync(otherOrg.OrgId, "org", otherOrg.OrgId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/other-org") });
        await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/deleted") }, deleted: true);

        var warning = NotificationFixture.Change(project, alertId, AlertNames.StageWarning, value: 0.15);
        await harness.PublishAlertAsync(warning);
        var expectedReaders = new[] { owner.Email, viewer.Email, boundHere.Email, boundOnWorkspace.Email, "extra@example.com", $"list-{project.OrgId:N}@example.com" };
        var warned = await Eventually.ValueAsync(() => fixture.LedgerAsync(warning.Id), l => l.Count(r => r.Status == "sent") == expectedReaders.Length + 1, "the warning's deliveries");
        Assert.Equal(expectedReaders.Order(StringComparer.Ordinal), warned.Where(r => r.Channel == "EMAIL").Select(r => r.Destination).Order(StringComparer.Ordinal));
        Assert.Single(warned, r => r.Channel == "SLACK");
        foreach (var reader in expectedReaders)
            Assert.Single(fixture.Smtp.To(reader), m => m.Subject.Contains("WARNING: Error rate", StringComparison.Ordinal));
        foreach (var other in new[] { boundElsewhere, noRole, outsider, disabled })
            Assert.Empty(fixture.Smtp.To(other.Email));

        var resolution = NotificationFixture.Change(project, alertId, AlertNames.StageResolution, AlertNames.StageWarning, value: 0.01);
        await harness.PublishAlertAsync(resolution);
        var resolved = await Eventually.ValueAsync(() => fixture.LedgerAsync(resolution.Id), l => l.Count(r => r.Status == "sent") == 3, "the resolution's deliveries");
        Assert.Equal([viewer.Email], resolved.Where(r => r.Channel == "EMAIL").Select(r => r.Destination));
        Assert.Single(fixture.Smtp.To(viewer.Email), m => m.Subject.Contains("RESOLVED: Error rate", StringComparison.Ordinal));
        Assert.Empty(fixture.Smtp.To(outsider.Email));

        await Eventually.TrueAsync(() => receiver.On("/org-all").Count == 2, "the org's Slack channel (every stage) twice");
        Assert.Single(receiver.On("/workspace-resolutions"));
        Assert.Equal("RESOLUTION", JsonNode.Parse(receiver.On("/workspace-resolutions")[0].Text)!["data"]!["stage"]!.GetValue<string>());
        Assert.True(SignedWith(receiver.On("/workspace-resolutions")[0], "workspace-secret-0123456789"));
        Assert.Empty(receiver.On("/sibling"));
        Assert.Empty(receiver.On("/other-workspace"));
        Assert.Empty(receiver.On("/other-org"));
        Assert.Empty(receiver.On("/deleted"));
    }

    [Fact]
    public async Task A_paused_or_deleted_alert_sends_nothing()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var project = await fixture.SeedProjectAsync();
        await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = receiver.Url("/silent") });
        var details = new JsonObject { ["critical"] = new JsonObject { ["channel"] = "SLACK", ["metadata"] = new JsonObject { ["url"] = receiver.Url("/silent") } },
            ["resolved"] = new JsonObject { ["channel"] = "SLACK", ["metadata"] = new JsonObject { ["url"] = receiver.Url("/silent") } } };
        var paused = await fixture.AddAlertAsync(project.ProjectId, details.DeepClone().AsObject(), status: AlertNames.Paused);
        var deleted = await fixture.AddAlertAsync(project.ProjectId, details.DeepClone().AsObject());
        await using (var connection = await fixture.Cpdb.OpenConnectionAsync())
        await using (var command = new Npgsql.NpgsqlCommand($"UPDATE alerts SET deleted_at = now() WHERE id = '{deleted}'", connection))
            await command.ExecuteNonQueryAsync();
        // A live alert published after them: once it arrived, the two before it were handled.
        var live = await fixture.AddAlertAsync(project.ProjectId, new JsonObject { ["critical"] = new JsonObject { ["channel"] = "SLACK", ["metadata"] = new JsonObject { ["url"] = receiver.Url("/live") } } });

        var changes = new[] { paused, deleted }.Select(a => NotificationFixture.Change(project, a, AlertNames.StageCritical)).ToList();
        foreach (var change in changes) await harness.PublishAlertAsync(change);
        await harness.PublishAlertAsync(NotificationFixture.Change(project, live, AlertNames.StageCritical));

        await Eventually.TrueAsync(() => receiver.On("/live").Count == 1, "the live alert's message");
        await Eventually.ValueAsync(harness.AlertsUnsettledAsync, n => n == 0, "every message settled");
        // The live alert also reached the project channel; nothing else did.
        Assert.Single(receiver.On("/silent"));
        foreach (var change in changes) Assert.Empty(await fixture.LedgerAsync(change.Id));
    }

    [Fact]
    public async Task A_receiver_that_is_down_for_a_while_gets_the_notification_once_it_is_back()
    {
        var receiver = new HttpReceiver(); // its port reserved, nothing listening: connections are refused
        await using var _ = receiver;
        var project = await fixture.SeedProjectAsync();
        var alertId = await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = new JsonObject { ["channel"] = "SLACK", ["metadata"] = new JsonObject { ["url"] = receiver.Url("/late") } },
        });
        var change = NotificationFixture.Change(project, alertId, AlertNames.StageCritical);
        await harness.PublishAlertAsync(change);

        var failing = await Eventually.ValueAsync(() => fixture.LedgerAsync(change.Id), l => l is [{ Attempts: >= 3 }], "three failed tries");
        Assert.Equal("pending", failing[0].Status);
        Assert.Contains("did not answer", failing[0].LastError, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);

        await receiver.StartListeningAsync();
        await Eventually.TrueAsync(() => receiver.On("/late").Count == 1, "the notification after the receiver came back");
        var sent = await Eventually.ValueAsync(() => fixture.LedgerAsync(change.Id), l => l is [{ Status: "sent" }], "the delivery sent");
        Assert.True(sent[0].Attempts >= 4, $"attempts {sent[0].Attempts}");
        Assert.Null(sent[0].LastError);
        await Eventually.ValueAsync(harness.AlertsUnsettledAsync, n => n == 0, "the message settled");
        Assert.Single(receiver.On("/late"));
    }

    [Fact]
    public async Task A_redelivered_message_sends_nothing_that_was_sent_already()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var flaky = await HttpReceiver.StartAsync();
        flaky.FailWith = 503;
        var project = await fixture.SeedProjectAsync();
        var alertId = Guid.NewGuid();
        await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = fixture.AlertWebhook(alertId, "critical", receiver.Url("/once"), "once-secret-0123456789"),
        }, id: alertId);
        await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = flaky.Url("/flaky") });
        await fixture.AddChannelAsync(project.OrgId, "org", project.OrgId, ChannelKinds.Email, new JsonObject { ["emails"] = new JsonArray($"once-{alertId:N}@example.com") });

        var change = NotificationFixture.Change(project, alertId, AlertNames.StageCritical);
        await harness.PublishAlertAsync(change);
        // The message comes back for the failing Slack receiver again and again; the webhook and the mail went out on the first try.
        await Eventually.TrueAsync(() => flaky.On("/flaky").Count >= 3, "three tries of the failing receiver");
        Assert.Single(receiver.On("/once"));
        Assert.Single(fixture.Smtp.To($"once-{alertId:N}@example.com"));

        flaky.FailWith = null;
        await Eventually.ValueAsync(() => fixture.LedgerAsync(change.Id), l => l.Count == 3 && l.All(r => r.Status == "sent"), "all three sent");
        await Eventually.ValueAsync(harness.AlertsUnsettledAsync, n => n == 0, "the message settled");
        var flakyTries = flaky.On("/flaky").Count;

        // The same notification again under another log id (a replayed dead letter, a re-publish after the duplicate window).
        await harness.PublishAlertAsync(change, messageId: change.Id + "-replayed");
        await Eventually.ValueAsync(harness.AlertsUnsettledAsync, n => n == 0, "the replay settled");
        Assert.Single(receiver.On("/once"));
        Assert.Single(fixture.Smtp.To($"once-{alertId:N}@example.com"));
        Assert.Equal(flakyTries, flaky.On("/flaky").Count);
        Assert.Equal(3, (await fixture.LedgerAsync(change.Id)).Count);
    }
}
