using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts.Alerts;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.ControlPlane.Tests.Tenancy;

namespace HoneyHive.ControlPlane.Tests.Alerts;

/// <summary>The control-plane spec's alert routes: shapes, checks with the field named, write-only webhook secrets, SSRF, sync to DPs.</summary>
public sealed class AlertRouteTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    // A public address literal: the SSRF guard accepts it at save without a DNS lookup, and nothing here calls it.
    private const string PublicHook = "https://93.184.215.14/hook";

    private static JsonObject Body(Action<JsonObject>? change = null)
    {
        var body = JsonSerializer.SerializeToNode(OrgObjects.AlertBody("p95 latency"))!.AsObject();
        change?.Invoke(body);
        return body;
    }

    private static JsonObject Webhook(string url, string? secret = null)
    {
        var metadata = new JsonObject { ["url"] = url };
        if (secret is not null) metadata["secret"] = secret;
        return new JsonObject { ["channel"] = "WEBHOOK", ["scope"] = "ALL_PROJECT_MEMBERS", ["metadata"] = metadata };
    }

    [Fact]
    public async Task An_alert_is_created_read_and_listed_in_the_spec_shape()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        var created = await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body(b => b["description"] = "p95 of model calls"))).DataAsync();
        var id = created["id"]!.GetValue<string>();
        var read = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/alerts/{id}")).DataAsync();

        Assert.Equal(("p95 latency", "p95 of model calls", "ACTIVE", "HOURLY"), (read["name"]!.GetValue<string>(), read["description"]!.GetValue<string>(),
            read["status"]!.GetValue<string>(), read["frequency"]!.GetValue<string>()));
        Assert.Equal(("AGGREGATE", "P95", 0), (read["alert_type"]!.GetValue<string>(), read["aggregation"]!.GetValue<string>(), read["minimum_sample_size"]!.GetValue<int>()));
        Assert.Equal("event_type", read["event_filters"]![0]!["filter"]!["field"]!.GetValue<string>());
        Assert.Equal("duration", read["event_metrics"]![0]!["projection"]!.GetValue<string>());
        Assert.Equal(("greater_than", 1000d), (read["thresholds"]!["critical"]!["operator"]!.GetValue<string>(), read["thresholds"]!["critical"]!["value"]!.GetValue<double>()));
        Assert.Equal(("project", org.ProjectId.ToString(), org.OwnerId.ToString()), (read["scope_type"]!.GetValue<string>(), read["scope_id"]!.GetValue<string>(), read["created_by"]!.GetValue<string>()));
        Assert.True(read["is_active"]!.GetValue<bool>());
        Assert.False(read["is_muted"]!.GetValue<bool>());
        Assert.Equal(["CRITICAL", "RESOLUTION"], read["notifications"]!.AsArray().Select(n => n!["stage"]!.GetValue<string>()));
        Assert.Empty(read["triggers"]!.AsArray());

        (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body(b => b["name"] = "b"))).EnsureSuccessStatusCode();
        (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body(b => { b["name"] = "a"; b["status"] = "PAUSED"; }))).EnsureSuccessStatusCode();
        var page = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/alerts?limit=2&sort_by=name&sort_order=asc")).JsonAsync();
        Assert.Equal(["a", "b"], page["data"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
        Assert.Equal((1, 2, 3, 3, 2, true, false), (page["pagination"]!["page"]!.GetValue<int>(), page["pagination"]!["limit"]!.GetValue<int>(),
            page["pagination"]!["total"]!.GetValue<int>(), page["pagination"]!["total_unfiltered"]!.GetValue<int>(), page["pagination"]!["total_pages"]!.GetValue<int>(),
            page["pagination"]!["has_next"]!.GetValue<bool>(), page["pagination"]!["has_prev"]!.GetValue<bool>()));
        var paused = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/alerts?status=PAUSED")).JsonAsync();
        Assert.Equal("a", Assert.Single(paused["data"]!.AsArray())!["name"]!.GetValue<string>());
        Assert.False(paused["data"]![0]!["is_active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_trigger_reads_as_notified_once_the_notification_ledger_holds_a_sent_delivery_of_it()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var alert = Guid.Parse((await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body())).DataAsync())["id"]!.GetValue<string>());
        var (critical, resolution) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var (id, stage, at) in new[] { (critical, "CRITICAL", DateTime.UtcNow.AddMinutes(-2)), (resolution, "RESOLUTION", DateTime.UtcNow.AddMinutes(-1)) })
        {
            await cp.ExecuteAsync(
                "INSERT INTO alert_triggers (id, alert_id, project_id, from_stage, stage, result, triggered_time) VALUES (@id, @alert, @project, 'OK', @stage, '{}', @at)",
                new { id, alert, project = org.ProjectId, stage, at });
        }
        // The CRITICAL went out to one destination and failed at another; the RESOLUTION is still being tried.
        await cp.ExecuteAsync(
            """
            INSERT INTO notification_deliveries (delivery_id, message_id, org_id, channel, destination, status) VALUES
                (@c1, @critical, @org, 'WEBHOOK', 'a', 'sent'), (@c2, @critical, @org, 'EMAIL', 'b', 'dead'), (@r1, @resolution, @org, 'WEBHOOK', 'a', 'pending')
            """,
            new { c1 = $"alert-{critical}:a", c2 = $"alert-{critical}:b", r1 = $"alert-{resolution}:a", critical = $"alert-{critical}", resolution = $"alert-{resolution}", org = org.OrgId });

        var triggers = (await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/alerts/{alert}/triggers")).DataAsync()).AsArray();

        Assert.Equal([("RESOLUTION", false), ("CRITICAL", true)],
            triggers.Select(t => (t!["stage"]!.GetValue<string>(), t["notification_sent"]!.GetValue<bool>())));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"frequency":"HOURLY"}""", "name" },
        { """{"name":"x","frequency":"SECONDLY"}""", "frequency" },
        { """{"alert_type":"SOMETIMES"}""", "alert_type" },
        { """{"aggregation":"MODE"}""", "aggregation" },
        { """{"minimum_sample_size":-1}""", "minimum_sample_size" },
        { """{"filters":[{"field":"duration","operator":"contains","value":"1","type":"number"}]}""", "filters[0].operator" },
        { """{"filters":[{"field":"x; DROP TABLE","operator":"is","value":"1","type":"string"}]}""", "filters[0].field" },
        { """{"filters":[{"field":"a","operator":"is","value":{"x":1},"type":"string"}]}""", "filters[0].value" },
        { """{"projections":[]}""", "projections" },
        { """{"projections":["a","b"]}""", "projections" },
        { """{"thresholds":{"critical":{"operator":"greater_than","value":10}}}""", "thresholds.resolved" },
        { """{"thresholds":{"critical":{"operator":"greater_than","value":10},"resolved":{"operator":"less_than","value":12}}}""", "thresholds.resolved" },
        { """{"thresholds":{"critical":{"operator":"greater_than","value":10},"resolved":{"operator":"less_than","value":5},"warning":{"operator":"greater_than","value":11}}}""", "thresholds.warning.value" },
        { """{"thresholds":{"critical":{"operator":"above","value":10},"resolved":{"operator":"less_than","value":5}}}""", "thresholds.critical.operator" },
        { """{"notification_details":{"critical":{"channel":"PAGER","scope":"ALL_PROJECT_MEMBERS","metadata":{}},"resolved":{"channel":"EMAIL","scope":"ALL_PROJECT_MEMBERS","metadata":{}}}}""", "notification_details.critical.channel" },
        { """{"notification_details":{"critical":{"channel":"EMAIL","scope":"SPECIFIC_MEMBER","metadata":{}},"resolved":{"channel":"EMAIL","scope":"ALL_PROJECT_MEMBERS","metadata":{}}}}""", "notification_details.critical.user_ids" },
        { """{"notification_details":{"critical":{"channel":"EMAIL","scope":"ALL_PROJECT_MEMBERS","metadata":{"emails":["not-an-address"]}},"resolved":{"channel":"EMAIL","scope":"ALL_PROJECT_MEMBERS","metadata":{}}}}""", "notification_details.critical.metadata.emails[0]" },
        { """{"notification_details":{"critical":{"channel":"SLACK","scope":"ALL_PROJECT_MEMBERS","metadata":{}},"resolved":{"channel":"EMAIL","scope":"ALL_PROJECT_MEMBERS","metadata":{}}}}""", "notification_details.critical.metadata.url" },
        { """{"muted_until":"tomorrow"}""", "muted_until" },
        { """{"owner":"me"}""", "owner" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_alert_body_gets_400_naming_the_field_and_stores_nothing(string overrides, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var body = Body();
        foreach (var (name, value) in JsonNode.Parse(overrides)!.AsObject()) body[name] = value?.DeepClone();
        if (field == "name") body.Remove("name");

        await (await owner.SendRawAsync(HttpMethod.Post, $"/v1/projects/{org.ProjectId}/alerts", body.ToJsonString())).ProblemAsync(400, field);
        Assert.Equal(0, await cp.ScalarAsync<long>($"SELECT count(*) FROM alerts WHERE project_id = '{org.ProjectId}'"));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.0.0.8/hook")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://0x7f.1/hook")]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("https://user:pass@127.0.0.1/hook")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1")]
    public async Task A_webhook_url_the_ssrf_policy_refuses_gets_400_at_save(string url)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var body = Body(b => b["notification_details"]!["critical"] = Webhook(url));

        var problem = await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", body)).ProblemAsync(400, "notification_details.critical.metadata.url");
        Assert.Contains("may not be called", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_webhook_secret_is_write_only_kept_while_the_url_stays_and_dropped_when_it_moves()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        const string Secret = "whsec-0123456789abcdef";
        var created = await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts",
            Body(b => b["notification_details"]!["critical"] = Webhook(PublicHook, Secret)))).DataAsync();
        var id = created["id"]!.GetValue<string>();
        var stored = await cp.ScalarAsync<string>($"SELECT notification_details::text FROM alerts WHERE id = '{id}'");

        Assert.DoesNotContain(Secret, created.ToJsonString());
        Assert.DoesNotContain(Secret, stored);
        Assert.Contains("secret_sealed", stored);
        Assert.True(created["notifications"]![0]!["metadata"]!["secret_set"]!.GetValue<bool>());

        // A rename keeps the destination and its secret.
        var renamed = await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/alerts/{id}", new { name = "renamed" })).DataAsync();
        Assert.True(renamed["notifications"]![0]!["metadata"]!["secret_set"]!.GetValue<bool>());
        Assert.Equal("renamed", renamed["name"]!.GetValue<string>());

        // Another receiver does not inherit the secret.
        var details = Body()["notification_details"]!.AsObject();
        details["critical"] = Webhook(PublicHook + "/other");
        var moved = await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/alerts/{id}", new { notification_details = details })).DataAsync();
        Assert.Null(moved["notifications"]![0]!["metadata"]!["secret_set"]);
        var audit = await cp.ScalarAsync<string>($"SELECT string_agg(coalesce(before::text, '') || after::text, '') FROM audit_log WHERE target_id = '{id}'");
        Assert.DoesNotContain(Secret, audit);
    }

    [Fact]
    public async Task Pausing_muting_and_deleting_are_audited_and_a_deleted_alert_is_gone()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var id = (await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body())).DataAsync())["id"]!.GetValue<string>();
        var until = DateTimeOffset.UtcNow.AddHours(2);

        var paused = await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/alerts/{id}", new { status = "PAUSED", muted_until = until })).DataAsync();
        Assert.Equal("PAUSED", paused["status"]!.GetValue<string>());
        Assert.True(paused["is_muted"]!.GetValue<bool>());
        (await owner.DeleteAsync($"/v1/projects/{org.ProjectId}/alerts/{id}")).EnsureSuccessStatusCode();

        await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/alerts/{id}")).ProblemAsync(404);
        var actions = await cp.ScalarAsync<string>($"SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE target_id = '{id}'");
        Assert.Equal("alert.created,alert.updated,alert.deleted", actions);
    }

    [Fact]
    public async Task An_alert_is_not_found_through_another_project_of_the_same_org()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var other = (await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "other" })).DataAsync())["id"]!.GetValue<string>();
        var id = (await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body())).DataAsync())["id"]!.GetValue<string>();

        await (await owner.GetAsync($"/v1/projects/{other}/alerts/{id}")).ProblemAsync(404);
        await (await owner.PutJsonAsync($"/v1/projects/{other}/alerts/{id}", new { status = "PAUSED" })).ProblemAsync(404);
        await (await owner.DeleteAsync($"/v1/projects/{other}/alerts/{id}")).ProblemAsync(404);
        Assert.Empty((await (await owner.GetAsync($"/v1/projects/{other}/alerts")).JsonAsync())["data"]!.AsArray());
        Assert.Equal("ACTIVE", await cp.ScalarAsync<string>($"SELECT status FROM alerts WHERE id = '{id}' AND deleted_at IS NULL"));
    }

    [Fact]
    public async Task A_viewer_reads_alerts_but_may_not_create_one()
    {
        var org = await cp.SeedOrgAsync();
        var viewer = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, "viewer"));

        (await viewer.GetAsync($"/v1/projects/{org.ProjectId}/alerts")).EnsureSuccessStatusCode();
        var problem = await (await viewer.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", Body())).ProblemAsync(403);
        Assert.Contains("alerts:manage", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Data_planes_get_the_definition_without_its_destinations_and_a_change_or_delete_as_a_delta()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var source = new ControlPlaneSyncSource(cp.Cpdb);
        var id = (await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts",
            Body(b => b["notification_details"]!["critical"] = Webhook(PublicHook, "whsec-0123456789abcdef")))).DataAsync())["id"]!.GetValue<string>();

        var (snapshot, next) = await source.ReadAsync(null, CancellationToken.None);
        var record = Assert.Single(snapshot.Alerts, a => a.Id == id);
        var definition = JsonSerializer.Deserialize<AlertDefinition>(record.DefinitionJson.Span)!;
        Assert.Equal((org.ProjectId.ToString(), "P95", "duration", 1000d), (definition.ProjectId, definition.Aggregation, definition.Metric, definition.Thresholds.Critical.Value));
        Assert.DoesNotContain("93.184.215.14", record.DefinitionJson.ToStringUtf8());
        Assert.DoesNotContain("secret", record.DefinitionJson.ToStringUtf8());

        (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/alerts/{id}", new { status = "PAUSED" })).EnsureSuccessStatusCode();
        var (delta, after) = await source.ReadAsync(next, CancellationToken.None);
        Assert.Equal(AlertNames.Paused, JsonSerializer.Deserialize<AlertDefinition>(Assert.Single(delta.Alerts, a => a.Id == id).DefinitionJson.Span)!.Status);

        (await owner.DeleteAsync($"/v1/projects/{org.ProjectId}/alerts/{id}")).EnsureSuccessStatusCode();
        var (deleted, _) = await source.ReadAsync(after, CancellationToken.None);
        Assert.True(Assert.Single(deleted.Alerts, a => a.Id == id).Deleted);
        var (again, _) = await source.ReadAsync(null, CancellationToken.None);
        Assert.DoesNotContain(again.Alerts, a => a.Id == id);
    }
}
