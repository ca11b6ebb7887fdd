using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>Every change is audited with actor, target and before/after, readable newest first by audit:read, append-only.</summary>
public sealed class AuditTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task Each_change_appends_an_entry_with_actor_target_and_before_after_and_no_secret()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);

        var project = (await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "audited" })).DataAsync())["id"]!.GetValue<string>();
        (await owner.PutJsonAsync($"/v1/projects/{project}", new { name = "audited2" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/projects/{project}")).EnsureSuccessStatusCode();
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "member" })).EnsureSuccessStatusCode();
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "r1", permissions = new[] { "events:read" } })).EnsureSuccessStatusCode();
        var invitation = await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = $"a-{Guid.NewGuid():N}@example.com", role = "viewer" })).DataAsync(System.Net.HttpStatusCode.Created);
        var token = invitation["accept_token"]!.GetValue<string>();
        var password = "a very long password " + Guid.NewGuid().ToString("N");
        (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = "A", password })).EnsureSuccessStatusCode();
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "second" })).EnsureSuccessStatusCode();

        var entries = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit")).JsonAsync())["data"]!.AsArray();
        Assert.Equal(
            ["virtual_dataplane.created", "invitation.accepted", "invitation.created", "role.created", "member.role_changed", "project.deleted", "project.updated", "project.created"],
            entries.Select(e => e!["action"]!.GetValue<string>()));

        var changed = entries.Single(e => e!["action"]!.GetValue<string>() == "member.role_changed")!;
        Assert.Equal(("user", org.OwnerId.ToString()), (changed["actor_type"]!.GetValue<string>(), changed["actor_id"]!.GetValue<string>()));
        Assert.Equal(("member", target.ToString()), (changed["target_type"]!.GetValue<string>(), changed["target_id"]!.GetValue<string>()));
        Assert.Equal("viewer", changed["before"]!["role"]!.GetValue<string>());
        Assert.Equal("member", changed["after"]!["role"]!.GetValue<string>());

        var updated = entries.Single(e => e!["action"]!.GetValue<string>() == "project.updated")!;
        Assert.Equal(("audited", "audited2"), (updated["before"]!["name"]!.GetValue<string>(), updated["after"]!["name"]!.GetValue<string>()));
        Assert.Null(entries.Single(e => e!["action"]!.GetValue<string>() == "project.deleted")!["after"]);

        var everything = await cp.ScalarAsync<string>("SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_log a WHERE org_id = @o", new { o = org.OrgId });
        Assert.DoesNotContain(token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(password, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quota_override_is_audited_with_the_limits_before_and_after_and_a_project_admin_cannot_lift_it()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        var set = await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/quotas", new { ingest_spans_per_second = 100, ingest_spans_per_day = 1_000_000 })).DataAsync();
        (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}/quotas", new { ingest_spans_per_second = (long?)null })).EnsureSuccessStatusCode();
        // An admin of the project alone (bound to it, not to its workspace) may read the quotas but not change them.
        var projectAdmin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, null, (GrantScopes.Project, org.ProjectId, BuiltInRoles.Admin)));
        var refused = await projectAdmin.PutJsonAsync($"/v1/projects/{org.ProjectId}/quotas", new { ingest_spans_per_second = 1_000_000 });
        var read = await (await projectAdmin.GetAsync($"/v1/projects/{org.ProjectId}/quotas")).DataAsync();

        Assert.Equal(100, set["ingest_spans_per_second"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("'workspaces:manage'", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(read["ingest_spans_per_second"]);
        Assert.Equal(1_000_000, read["ingest_spans_per_day"]!.GetValue<long>());
        var entries = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit?action=project.quotas_updated")).JsonAsync())["data"]!.AsArray();
        Assert.Equal(2, entries.Count);
        var cleared = entries[0]!;
        Assert.Equal(100, cleared["before"]!["ingest_spans_per_second"]!.GetValue<long>());
        Assert.Null(cleared["after"]!["ingest_spans_per_second"]);
        Assert.Null(entries[1]!["before"]!["ingest_spans_per_second"]);
    }

    [Fact]
    public async Task Notification_channel_changes_are_audited_with_before_and_after_and_a_given_secret_is_write_only_and_never_logged()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        const string Given = "given-secret-0123456789abcdef";
        const string Rotated = "rotated-secret-0123456789abcdef";

        var created = await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/notification_channels",
            new { name = "hook", kind = "WEBHOOK", url = "https://203.0.113.7/hooks/T000/B000/credential-in-the-path", secret = Given })).DataAsync(HttpStatusCode.Created);
        Assert.Null(created["secret"]);
        var id = created["channel"]!["id"]!.GetValue<string>();
        (await owner.PutJsonAsync($"/v1/workspaces/{org.WorkspaceId}/notification_channels/{id}", new { secret = Rotated, name = "hook 2" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/workspaces/{org.WorkspaceId}/notification_channels/{id}")).EnsureSuccessStatusCode();

        var entries = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit")).JsonAsync())["data"]!.AsArray();
        Assert.Equal(["notification_channel.deleted", "notification_channel.updated.secret_rotated", "notification_channel.created"],
            entries.Select(e => e!["action"]!.GetValue<string>()));
        var updated = entries[1]!;
        Assert.Equal(("hook", "hook 2"), (updated["before"]!["name"]!.GetValue<string>(), updated["after"]!["name"]!.GetValue<string>()));
        Assert.Equal(("notification_channel", id), (updated["target_type"]!.GetValue<string>(), updated["target_id"]!.GetValue<string>()));
        var everything = await cp.ScalarAsync<string>("SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_log a WHERE org_id = @o", new { o = org.OrgId });
        Assert.DoesNotContain(Given, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Rotated, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("credential-in-the-path", everything, StringComparison.Ordinal);
        // A deleted channel keeps no secret and is not found any more.
        Assert.Null(await cp.ScalarAsync<byte[]>("SELECT secret_sealed FROM notification_channels WHERE id = @id", new { id = Guid.Parse(id) }));
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/v1/workspaces/{org.WorkspaceId}/notification_channels/{id}")).StatusCode);
    }

    [Fact]
    public async Task Member_removal_and_binding_changes_are_audited_with_the_member_before_and_after()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var member = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);

        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{member}/bindings", new { scope_type = "workspace", scope_id = org.WorkspaceId, role = "member" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{member}/bindings?scope_type=workspace&scope_id={org.WorkspaceId}")).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{member}")).EnsureSuccessStatusCode();

        var set = await OnlyEntryAsync(owner, org, "member.binding_set", org.OwnerId, "member", member);
        Assert.Empty(set["before"]!["bindings"]!.AsArray());
        Assert.Equal(("workspace", org.WorkspaceId.ToString(), "member"), Binding(Assert.Single(set["after"]!["bindings"]!.AsArray())!));

        var unbound = await OnlyEntryAsync(owner, org, "member.binding_removed", org.OwnerId, "member", member);
        Assert.Equal(("workspace", org.WorkspaceId.ToString(), "member"), Binding(Assert.Single(unbound["before"]!["bindings"]!.AsArray())!));
        Assert.Empty(unbound["after"]!["bindings"]!.AsArray());

        var removed = await OnlyEntryAsync(owner, org, "member.removed", org.OwnerId, "member", member);
        Assert.Equal(("viewer", TenancyApp.EmailOf(member)), (removed["before"]!["role"]!.GetValue<string>(), removed["before"]!["email"]!.GetValue<string>()));
        Assert.Null(removed["after"]);
    }

    [Fact]
    public async Task Role_changes_and_invitation_revocations_are_audited_with_before_and_after()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "auditor", description = "reads", permissions = new[] { "events:read" } })).EnsureSuccessStatusCode();
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/roles/auditor", new { description = "reads more", permissions = new[] { "events:read", "audit:read" } })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/roles/auditor")).EnsureSuccessStatusCode();
        var invitation = (await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = $"r-{Guid.NewGuid():N}@example.com", role = "viewer" }))
            .DataAsync(System.Net.HttpStatusCode.Created))["id"]!.GetValue<string>();
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/invitations/{invitation}")).EnsureSuccessStatusCode();

        var updated = await OnlyEntryAsync(owner, org, "role.updated", org.OwnerId, "role", "auditor");
        Assert.Equal(("reads", "events:read"), RoleOf(updated["before"]!));
        Assert.Equal(("reads more", "events:read,audit:read"), RoleOf(updated["after"]!));

        var deleted = await OnlyEntryAsync(owner, org, "role.deleted", org.OwnerId, "role", "auditor");
        Assert.Equal(("reads more", "events:read,audit:read"), RoleOf(deleted["before"]!));
        Assert.Null(deleted["after"]);

        var revoked = await OnlyEntryAsync(owner, org, "invitation.revoked", org.OwnerId, "invitation", invitation);
        Assert.Equal(("pending", "revoked"), (revoked["before"]!["status"]!.GetValue<string>(), revoked["after"]!["status"]!.GetValue<string>()));
        Assert.Null(revoked["after"]!["accept_token"]);
    }

    [Fact]
    public async Task Workspace_and_virtual_data_plane_changes_are_audited_with_before_and_after()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var (workspaceName, dataplaneName) = ("ws " + TenancyApp.Unique(), "dp " + TenancyApp.Unique());
        var workspace = (await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = workspaceName, description = "first" })).DataAsync())["id"]!.GetValue<string>();
        (await owner.PutJsonAsync($"/v1/workspaces/{workspace}", new { name = workspaceName + " 2", description = "second" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/workspaces/{workspace}")).EnsureSuccessStatusCode();
        var dataplane = (await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = dataplaneName })).DataAsync())["id"]!.GetValue<string>();
        (await owner.PutJsonAsync($"/v1/virtual_dataplanes/{dataplane}", new { name = dataplaneName + " 2" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/virtual_dataplanes/{dataplane}")).EnsureSuccessStatusCode();

        var created = await OnlyEntryAsync(owner, org, "workspace.created", org.OwnerId, "workspace", workspace);
        Assert.Null(created["before"]);
        Assert.Equal((workspaceName, "first"), (created["after"]!["name"]!.GetValue<string>(), created["after"]!["description"]!.GetValue<string>()));
        var updated = await OnlyEntryAsync(owner, org, "workspace.updated", org.OwnerId, "workspace", workspace);
        Assert.Equal((workspaceName, "first"), (updated["before"]!["name"]!.GetValue<string>(), updated["before"]!["description"]!.GetValue<string>()));
        Assert.Equal((workspaceName + " 2", "second"), (updated["after"]!["name"]!.GetValue<string>(), updated["after"]!["description"]!.GetValue<string>()));
        var deleted = await OnlyEntryAsync(owner, org, "workspace.deleted", org.OwnerId, "workspace", workspace);
        Assert.Equal(workspaceName + " 2", deleted["before"]!["name"]!.GetValue<string>());
        Assert.Null(deleted["after"]);

        var renamed = await OnlyEntryAsync(owner, org, "virtual_dataplane.updated", org.OwnerId, "virtual_dataplane", dataplane);
        Assert.Equal((dataplaneName, dataplaneName + " 2"), (renamed["before"]!["name"]!.GetValue<string>(), renamed["after"]!["name"]!.GetValue<string>()));
        var gone = await OnlyEntryAsync(owner, org, "virtual_dataplane.deleted", org.OwnerId, "virtual_dataplane", dataplane);
        Assert.Equal(dataplaneName + " 2", gone["before"]!["name"]!.GetValue<string>());
        Assert.Null(gone["after"]);
    }

    /// <summary>The one entry of <paramref name="action"/> in the org's log, checked to name the user who acted and the target.</summary>
    private static async Task<JsonNode> OnlyEntryAsync(HttpClient reader, SeededOrg org, string action, Guid actor, string targetType, object targetId)
    {
        var entries = (await (await reader.GetAsync($"/v1/orgs/{org.OrgId}/audit?action={action}")).JsonAsync())["data"]!.AsArray();
        var entry = Assert.Single(entries)!;
        Assert.Equal(action, entry["action"]!.GetValue<string>());
        Assert.Equal(("user", actor.ToString()), (entry["actor_type"]!.GetValue<string>(), entry["actor_id"]!.GetValue<string>()));
        Assert.Equal((targetType, targetId.ToString()), (entry["target_type"]!.GetValue<string>(), entry["target_id"]!.GetValue<string>()));
        return entry;
    }

    private static (string, string, string) Binding(JsonNode binding) =>
        (binding["scope_type"]!.GetValue<string>(), binding["scope_id"]!.GetValue<string>(), binding["role"]!.GetValue<string>());

    private static (string, string) RoleOf(JsonNode role) =>
        (role["description"]!.GetValue<string>(), string.Join(",", role["permissions"]!.AsArray().Select(p => p!.GetValue<string>())));

    [Fact]
    public async Task A_change_by_a_control_plane_key_is_audited_with_the_key_as_actor()
    {
        var org = await cp.SeedOrgAsync();
        var key = await cp.AsKeyAsync(org.OrgId, "workspace", org.WorkspaceId, Permissions.ProjectsManage, Permissions.ProjectsRead);
        (await key.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { description = "by key" })).EnsureSuccessStatusCode();

        var entry = (await (await (await cp.AsUserAsync(org.OwnerId)).GetAsync($"/v1/orgs/{org.OrgId}/audit?action=project.updated")).JsonAsync())["data"]![0]!;
        Assert.Equal("api_key", entry["actor_type"]!.GetValue<string>());
        var keyId = await cp.ScalarAsync<Guid>("SELECT id FROM api_keys WHERE org_id = @o AND kind = 'control_plane'", new { o = org.OrgId });
        Assert.Equal(keyId.ToString(), entry["actor_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Audit_pages_with_an_opaque_cursor_and_filters()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        for (var i = 0; i < 5; i++)
            (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { description = $"d{i}" })).EnsureSuccessStatusCode();
        (await owner.PutJsonAsync($"/v1/workspaces/{org.WorkspaceId}", new { description = "w" })).EnsureSuccessStatusCode();

        var first = await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit?limit=4")).JsonAsync();
        Assert.Equal(4, first["data"]!.AsArray().Count);
        var cursor = first["next_cursor"]!.GetValue<string>();
        var second = await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit?limit=4&cursor={Uri.EscapeDataString(cursor)}")).JsonAsync();
        Assert.Equal(2, second["data"]!.AsArray().Count);
        Assert.Null(second["next_cursor"]);
        var ids = first["data"]!.AsArray().Concat(second["data"]!.AsArray()).Select(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);

        var projects = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit?target_type=project&action=project.updated&actor_id={org.OwnerId}")).JsonAsync())["data"]!.AsArray();
        Assert.Equal(5, projects.Count);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("cursor=%25%25", "cursor")]
    public async Task Bad_limits_and_cursors_are_400_naming_them(string query, string field)
    {
        var org = await cp.SeedOrgAsync();
        await (await (await cp.AsUserAsync(org.OwnerId)).GetAsync($"/v1/orgs/{org.OrgId}/audit?{query}")).ProblemAsync(400, field);
    }

    [Fact]
    public async Task Audit_needs_audit_read_which_admins_have_and_members_lack()
    {
        var org = await cp.SeedOrgAsync();
        var member = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Member));
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));
        await (await member.GetAsync($"/v1/orgs/{org.OrgId}/audit")).ProblemAsync(403);
        (await admin.GetAsync($"/v1/orgs/{org.OrgId}/audit")).EnsureSuccessStatusCode();
    }

    [Theory]
    [InlineData("UPDATE audit_log SET action = 'forged'")]
    [InlineData("DELETE FROM audit_log")]
    [InlineData("TRUNCATE audit_log")]
    public async Task The_audit_log_refuses_update_delete_and_truncate(string sql)
    {
        var org = await cp.SeedOrgAsync();
        (await (await cp.AsUserAsync(org.OwnerId)).PutJsonAsync($"/v1/projects/{org.ProjectId}", new { description = "x" })).EnsureSuccessStatusCode();
        var before = await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log");
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(before, await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'forged'"));
    }
}
