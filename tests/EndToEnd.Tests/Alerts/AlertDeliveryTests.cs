using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests.Alerts;

/// <summary>
/// A Host whose alert engine and notification service run as in single-node mode, with loopback webhooks allowed (the
/// operator's SSRF allowlist).
/// </summary>
public sealed class AlertsHost : HostProcess
{
    public AlertsHost() => ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
}

/// <summary>
/// Alerts end to end on one Host: a definition made on the CP reaches the DP's engine, events cross and recover its
/// thresholds, and the notification service delivers signed webhooks to a receiver run by the test: once per stage,
/// after a receiver outage, across a kill -9 of the Host between evaluation and delivery, and never for a muted or
/// paused alert.
/// </summary>
public sealed class AlertDeliveryTests(AlertsHost host) : IClassFixture<AlertsHost>
{
    private const string Secret = "e2e-webhook-secret-0123456789";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_per_event_alert_notifies_once_when_crossed_and_once_when_recovered_and_the_cp_shows_both()
    {
        await using var sink = await WebhookSink.StartAsync(Secret);
        using var cp = await ControlPlaneAsync();
        var name = Unique();
        var alert = await CreateAlertAsync(cp, name, sink.Url);

        // Three crossing events: the first moves the alert to CRITICAL, the others find it there already.
        for (var i = 0; i < 3; i++) await SendEventAsync(name, 5_000);
        await Eventually.TrueAsync(() => sink.For(alert, "CRITICAL").Count > 0, "the CRITICAL webhook");
        // A value between the thresholds changes nothing (hysteresis); then two recovering events resolve it once.
        await SendEventAsync(name, 700);
        await Task.Delay(Settle);
        Assert.Empty(sink.For(alert, "RESOLUTION"));
        for (var i = 0; i < 2; i++) await SendEventAsync(name, 100);
        await Eventually.TrueAsync(() => sink.For(alert, "RESOLUTION").Count > 0, "the RESOLUTION webhook");
        await Task.Delay(Settle);

        Assert.Single(sink.For(alert, "CRITICAL"));
        Assert.Single(sink.For(alert, "RESOLUTION"));
        Assert.All(sink.For(alert), w => Assert.True(w.SignatureValid, $"webhook {w.DeliveryId} is not signed with the alert's secret"));
        var triggers = await Eventually.ValueAsync(async () => (await DataAsync(await cp.GetAsync(new Uri($"/v1/projects/{host.ProjectId}/alerts/{alert}/triggers", UriKind.Relative)))).AsArray(),
            t => t.Count >= 2 && t.All(x => x!["notification_sent"]!.GetValue<bool>()), "the CP's trigger history to hold both stage changes, notified");
        Assert.Equal(["RESOLUTION", "CRITICAL"], triggers.Select(t => t!["stage"]!.GetValue<string>()));
        var item = await DataAsync(await cp.GetAsync(new Uri($"/v1/projects/{host.ProjectId}/alerts/{alert}", UriKind.Relative)));
        Assert.Equal("RESOLVED", item["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiver_that_is_down_gets_the_notification_after_it_comes_back()
    {
        await using var sink = await WebhookSink.StartAsync(Secret);
        using var cp = await ControlPlaneAsync();
        var name = Unique();
        var alert = await CreateAlertAsync(cp, name, sink.Url);
        await sink.DownAsync();

        await SendEventAsync(name, 5_000);
        await WaitForTransitionAsync(alert, "CRITICAL");
        await Task.Delay(TimeSpan.FromSeconds(4));
        await sink.UpAsync();

        await Eventually.TrueAsync(() => sink.For(alert, "CRITICAL").Count > 0, "the CRITICAL webhook after the receiver came back", TimeSpan.FromSeconds(90));
        await Task.Delay(Settle);
        Assert.Single(sink.For(alert, "CRITICAL"));
    }

    [Fact]
    public async Task Killing_the_host_between_evaluation_and_delivery_neither_loses_nor_repeats_the_notification()
    {
        await using var sink = await WebhookSink.StartAsync(Secret);
        using var cp = await ControlPlaneAsync();
        var name = Unique();
        var alert = await CreateAlertAsync(cp, name, sink.Url);
        // The receiver is down, so the notification is recorded and in flight, not delivered, when the Host dies.
        await sink.DownAsync();
        await SendEventAsync(name, 5_000);
        await WaitForTransitionAsync(alert, "CRITICAL");

        await host.KillAsync();
        await sink.UpAsync();
        await host.StartAsync();

        try
        {
            await Eventually.TrueAsync(() => sink.For(alert, "CRITICAL").Count > 0, "the CRITICAL webhook after the restart", TimeSpan.FromSeconds(90));
        }
        catch (Xunit.Sdk.XunitException e)
        {
            await using var cpdb = new NpgsqlConnection(host.CpdbConnectionString);
            var ledger = string.Join("; ", await cpdb.QueryAsync<string>("SELECT row_to_json(d)::text FROM notification_deliveries d"));
            var transitions = string.Join("; ", await new NpgsqlConnection(host.DpdbConnectionString).QueryAsync<string>(
                "SELECT row_to_json(t)::text FROM alert_transitions t WHERE alert_id = @alert", new { alert = Guid.Parse(alert) }));
            var output = host.Output;
            throw new Xunit.Sdk.XunitException($"{e.Message}\nledger: {ledger}\ntransitions: {transitions}\nhost: {output[Math.Max(0, output.Length - 4000)..]}");
        }
        await Task.Delay(Settle);
        Assert.Single(sink.For(alert, "CRITICAL"));
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(*) FROM alert_transitions WHERE alert_id = @alert", new { alert = Guid.Parse(alert) }));
    }

    [Fact]
    public async Task A_muted_or_paused_alert_sends_nothing_while_an_active_one_beside_it_does()
    {
        await using var sink = await WebhookSink.StartAsync(Secret);
        using var cp = await ControlPlaneAsync();
        var name = Unique();
        var active = await CreateAlertAsync(cp, name, sink.Url);
        var muted = await CreateAlertAsync(cp, name, sink.Url, new() { ["muted_until"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O") });
        var paused = await CreateAlertAsync(cp, name, sink.Url, new() { ["status"] = "PAUSED" });

        await SendEventAsync(name, 5_000);
        await Eventually.TrueAsync(() => sink.For(active, "CRITICAL").Count > 0, "the active alert's webhook");
        await WaitForTransitionAsync(muted, "CRITICAL");
        await Task.Delay(Settle);

        Assert.Empty(sink.For(muted));
        Assert.Empty(sink.For(paused));
        Assert.Equal(0, await ScalarAsync<long>("SELECT count(*) FROM alert_transitions WHERE alert_id = @alert", new { alert = Guid.Parse(paused) }));
        Assert.True(await ScalarAsync<bool>("SELECT bool_and(muted) FROM alert_transitions WHERE alert_id = @alert", new { alert = Guid.Parse(muted) }));
    }

    private static string Unique() => "step-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<HttpClient> ControlPlaneAsync()
    {
        var bootstrap = host.ReadBootstrap();
        using var anonymous = host.Client(host.ControlPlaneApi);
        using var login = await anonymous.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative),
            new { email = bootstrap.GetProperty("admin_email").GetString(), password = bootstrap.GetProperty("admin_password").GetString() });
        var token = (await login.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonNode>())!["access_token"]!.GetValue<string>();
        return host.Client(host.ControlPlaneApi, token);
    }

    /// <summary>A PER_EVENT alert on the duration of events named <paramref name="eventName"/>: critical above 1,000 ms, resolved below 500.</summary>
    private async Task<string> CreateAlertAsync(HttpClient cp, string eventName, Uri webhook, JsonObject? extra = null)
    {
        var destination = new JsonObject
        {
            ["channel"] = "WEBHOOK", ["scope"] = "ALL_PROJECT_MEMBERS", ["metadata"] = new JsonObject { ["url"] = webhook.ToString(), ["secret"] = Secret },
        };
        var body = new JsonObject
        {
            ["name"] = "slow " + eventName,
            ["frequency"] = "HOURLY",
            ["alert_type"] = "PER_EVENT",
            ["aggregation"] = "MAX",
            ["thresholds"] = new JsonObject
            {
                ["critical"] = new JsonObject { ["operator"] = "greater_than", ["value"] = 1000 },
                ["resolved"] = new JsonObject { ["operator"] = "less_than", ["value"] = 500 },
            },
            ["filters"] = new JsonArray(new JsonObject { ["field"] = "event_name", ["operator"] = "is", ["value"] = eventName, ["type"] = "string" }),
            ["projections"] = new JsonArray("duration"),
            ["notification_details"] = new JsonObject { ["critical"] = destination, ["resolved"] = destination.DeepClone() },
        };
        foreach (var (key, value) in extra ?? []) body[key] = value?.DeepClone();
        var id = (await DataAsync(await cp.PostAsJsonAsync(new Uri($"/v1/projects/{host.ProjectId}/alerts", UriKind.Relative), body)))["id"]!.GetValue<string>();
        await Eventually.ValueAsync(() => ScalarAsync<long>("SELECT count(*) FROM alerts WHERE id = @id", new { id = Guid.Parse(id) }), n => n == 1,
            "the alert to reach the data plane");
        return id;
    }

    private async Task SendEventAsync(string eventName, int durationMs)
    {
        using var dp = host.Client(host.DataPlaneApi, host.ApiKey);
        var end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var response = await dp.PostAsJsonAsync(new Uri("/v1/events", UriKind.Relative), new
        {
            event_type = "model", event_name = eventName, source = "e2e", start_time = end - durationMs, end_time = end, duration = durationMs,
            inputs = new { },
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private Task WaitForTransitionAsync(string alert, string toStage) =>
        Eventually.ValueAsync(() => ScalarAsync<long>("SELECT count(*) FROM alert_transitions WHERE alert_id = @alert AND to_stage = @toStage",
            new { alert = Guid.Parse(alert), toStage }), n => n > 0, $"the engine to record the move to {toStage}");

    private async Task<T> ScalarAsync<T>(string sql, object parameters)
    {
        await using var connection = new NpgsqlConnection(host.DpdbConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    private static async Task<JsonNode> DataAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)!["data"]!;
        }
    }
}
