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
