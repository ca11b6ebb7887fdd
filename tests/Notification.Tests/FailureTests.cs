using System.Text.Json.Nodes;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Notification.Delivery;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Notification.Tests;

/// <summary>Giving up: the last try dead-letters the message and marks its deliveries dead; the SSRF guard refuses at delivery.</summary>
public sealed class FailureTests(NotificationFixture fixture) : IClassFixture<NotificationFixture>, IAsyncLifetime
{
    private NotificationHarness harness = null!;

    // Three tries in all, 0.1 s apart: the dead letter comes quickly.
    public async Task InitializeAsync() => harness = await NotificationHarness.StartAsync(fixture, maxAttempts: 3, backoffSeconds: "0.1");

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task After_the_last_try_the_message_is_dead_lettered_and_the_ledger_says_dead_but_what_was_sent_stays_sent()
    {
        var down = new HttpReceiver(); // never listening
        await using var _ = down;
        await using var up = await HttpReceiver.StartAsync();
        var project = await fixture.SeedProjectAsync();
        var alertId = await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = new JsonObject { ["channel"] = "WEBHOOK", ["metadata"] = new JsonObject { ["url"] = down.Url("/never") } },
        });
        await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Slack, new JsonObject { ["url"] = up.Url("/fine") });

        var change = NotificationFixture.Change(project, alertId, AlertNames.StageCritical);
        await harness.PublishAlertAsync(change);

        var letters = await Eventually.ValueAsync(() => harness.DeadLettersAsync(harness.AlertTopic, change.Id), l => l.Count == 1, "the dead letter");
        Assert.Equal("3", letters[0].Headers![DeadLetterHeaders.DeliveryCount].ToString());
        Assert.Contains("gave up after 3 tries", letters[0].Headers![DeadLetterHeaders.Error].ToString(), StringComparison.Ordinal);
        var ledger = await fixture.LedgerAsync(change.Id);
        var dead = Assert.Single(ledger, r => r.Channel == "WEBHOOK");
        Assert.Equal(("dead", 3), (dead.Status, dead.Attempts));
        Assert.Contains("did not answer", dead.LastError, StringComparison.Ordinal);
        Assert.Equal("sent", Assert.Single(ledger, r => r.Channel == "SLACK").Status);
        Assert.Single(up.On("/fine"));
    }

    [Fact]
    public async Task Every_ssrf_case_is_refused_at_delivery_and_an_allowlisted_receiver_still_gets_its_message()
    {
        // A real receiver on 127.0.0.2: loopback, but not the 127.0.0.1 the operator allowed. It must never be reached.
        await using var hidden = await HttpReceiver.StartAsync("127.0.0.2");
        await using var allowed = await HttpReceiver.StartAsync();
        harness.Names.Map("rebound.test", "127.0.0.2");
        harness.Names.Map("metadata-alias.test", "169.254.169.254");
        harness.Names.Map("split.test", "203.0.113.9", "10.0.0.7");
        var project = await fixture.SeedProjectAsync();
        var alertId = await fixture.AddAlertAsync(project.ProjectId, new JsonObject
        {
            ["critical"] = new JsonObject { ["channel"] = "SLACK", ["metadata"] = new JsonObject { ["url"] = allowed.Url("/allowed") } },
        });

        // Stored directly, as if saved before a DNS change or by an older version: the save-time check is not the only one.
        var cases = new (string Url, string Why)[]
        {
            ("http://169.254.169.254/latest/meta-data/iam/", "169.254.0.0/16"),
            ("http://[fd00:ec2::254]/latest/", "fc00::/7"),
            ("http://10.0.0.1/hook", "10.0.0.0/8"),
            ("http://172.16.5.4/hook", "172.16.0.0/12"),
            ("http://192.168.0.10/hook", "192.168.0.0/16"),
            (hidden.Url("/direct"), "127.0.0.0/8"),
            ($"http://[::ffff:127.0.0.2]:{hidden.Port}/mapped", "127.0.0.0/8"),
            ($"http://2130706434:{hidden.Port}/decimal", "127.0.0.0/8"),
            ($"http://rebound.test:{hidden.Port}/name", "127.0.0.0/8"),
            ("http://metadata-alias.test/latest/", "169.254.0.0/16"),
            ("http://split.test/hook", "10.0.0.0/8"),
            ($"http://localhost:{hidden.Port}/localhost", "local host"),
            ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
            (allowed.Url("/redirect?to=http://169.254.169.254/latest/meta-data/"), "169.254.0.0/16"),
            (allowed.Url($"/redirect?to={Uri.EscapeDataString(hidden.Url("/via-redirect"))}"), "127.0.0.0/8"),
            ("ftp://203.0.113.7/hook", "only http and https"),
            ("file:///etc/passwd", "only http and https"),
            ("gopher://127.0.0.1:6379/_FLUSHALL", "only http and https"),
        };
        var channels = new Dictionary<Guid, (string Url, string Why)>();
        foreach (var (url, why) in cases)
        {
            var id = await fixture.AddChannelAsync(project.OrgId, "project", project.ProjectId, ChannelKinds.Webhook, new JsonObject { ["url"] = url }, secret: "ssrf-secret-0123456789");
            channels[id] = (url, why);
        }

        var change = NotificationFixture.Change(project, alertId, AlertNames.StageCritical);
        await harness.PublishAlertAsync(change);

        await Eventually.TrueAsync(() => allowed.On("/allowed").Count == 1, "the allowlisted receiver's message");
        var ledger = await Eventually.ValueAsync(() => fixture.LedgerAsync(change.Id), l => l.Count == cases.Length + 1 && l.All(r => r.Status != "pending"), "every delivery settled");
        var failures = new List<string>();
        foreach (var (id, (url, why)) in channels)
        {
            var row = ledger.Single(r => r.DeliveryId == $"{change.Id}:channel:{id}");
            // Refused ones are dead at once: no retry can make a refused address acceptable.
            if (row.Status != "dead" || row.Attempts != 1 || row.LastError is null || !row.LastError.Contains("Refused by the outbound guard", StringComparison.Ordinal) || !row.LastError.Contains(why, StringComparison.Ordinal))
                failures.Add($"{url}: {row.Status} after {row.Attempts}: {row.LastError}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Empty(hidden.Requests);
        Assert.Equal(2, allowed.Requests.Count(r => r.Path == "/redirect"));
        Assert.Equal("sent", ledger.Single(r => r.Channel == "SLACK").Status);
        // Refused deliveries make the message a dead letter (an operator sees it), without waiting for the last try.
        var letter = Assert.Single(await Eventually.ValueAsync(() => harness.DeadLettersAsync(harness.AlertTopic, change.Id), l => l.Count == 1, "the dead letter"));
        Assert.Equal("1", letter.Headers![DeadLetterHeaders.DeliveryCount].ToString());
    }
}
