using System.Net;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>GET/PUT /v1/orgs/{org_id}/security: admins only, checked break-glass accounts, audited changes, org-bounded.</summary>
public sealed class OrgSecurityRouteTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task An_admin_sets_the_policy_and_the_change_is_audited_with_before_and_after()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin);
        var client = await cp.AsUserAsync(admin);

        var initial = await (await client.GetAsync($"/v1/orgs/{org.OrgId}/security")).DataAsync();
        Assert.False(initial["require_mfa"]!.GetValue<bool>());
        Assert.False(initial["require_sso"]!.GetValue<bool>());
        Assert.Empty(initial["break_glass_user_ids"]!.AsArray());

        await AddSsoConnectionAsync(org.OrgId);
        var set = await (await client.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_mfa = true, require_sso = true, break_glass_user_ids = new[] { org.OwnerId } })).DataAsync();
        Assert.True(set["require_sso"]!.GetValue<bool>());
        Assert.Equal(org.OwnerId.ToString(), set["break_glass_user_ids"]![0]!.GetValue<string>());

        var entry = (await (await client.GetAsync($"/v1/orgs/{org.OrgId}/audit?action=org.security_updated")).JsonAsync())["data"]!.AsArray().Single()!;
        Assert.Equal(("user", admin.ToString()), (entry["actor_type"]!.GetValue<string>(), entry["actor_id"]!.GetValue<string>()));
        Assert.Equal(("org", org.OrgId.ToString()), (entry["target_type"]!.GetValue<string>(), entry["target_id"]!.GetValue<string>()));
        Assert.False(entry["before"]!["require_sso"]!.GetValue<bool>());
        Assert.True(entry["after"]!["require_sso"]!.GetValue<bool>());

        // Sending the same policy again changes nothing and adds no entry.
        (await client.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_sso = true })).EnsureSuccessStatusCode();
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE org_id = @o AND action = 'org.security_updated'", new { o = org.OrgId }));
    }

    [Theory]
    [InlineData(BuiltInRoles.Member)]
    [InlineData(BuiltInRoles.Viewer)]
    public async Task Members_and_viewers_cannot_read_or_change_it(string role)
    {
        var org = await cp.SeedOrgAsync();
        var client = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, role));
        var before = await cp.SnapshotAsync(org.OrgId);

        var read = await (await client.GetAsync($"/v1/orgs/{org.OrgId}/security")).ProblemAsync(403);
        Assert.Contains(Permissions.SecurityManage, read["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await (await client.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_mfa = true })).ProblemAsync(403);
        Assert.Equal(before, await cp.SnapshotAsync(org.OrgId));
    }

    [Fact]
    public async Task Requiring_sso_needs_a_break_glass_account()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var problem = await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_sso = true })).ProblemAsync(400, "require_sso");
        Assert.Contains("break-glass", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Nor can the last break-glass account be removed while SSO is required.
        await AddSsoConnectionAsync(org.OrgId);
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_sso = true, break_glass_user_ids = new[] { org.OwnerId } })).EnsureSuccessStatusCode();
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = Array.Empty<Guid>() })).ProblemAsync(400, "break_glass_user_ids");
    }

    [Fact]
    public async Task Requiring_sso_needs_an_enabled_connection_and_its_last_one_is_kept_while_sso_is_required()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var policy = new { require_sso = true, break_glass_user_ids = new[] { org.OwnerId } };

        var none = await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", policy)).ProblemAsync(409, "require_sso");
        Assert.Contains("sso_connections", none["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(await cp.ScalarAsync<bool>("SELECT require_sso FROM orgs WHERE id = @o", new { o = org.OrgId }));

        var connection = await AddSsoConnectionAsync(org.OrgId);
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", policy)).EnsureSuccessStatusCode();

        // The only connection can be neither disabled nor deleted while the org requires SSO: its members would be locked out.
        var item = $"/v1/orgs/{org.OrgId}/sso_connections/{connection}";
        await (await owner.PutJsonAsync(item, new { enabled = false })).ProblemAsync(409, "enabled");
        using (var deleted = await owner.DeleteAsync(new Uri(item, UriKind.Relative)))
            Assert.Equal(System.Net.HttpStatusCode.Conflict, deleted.StatusCode);
        Assert.Equal(1L, await cp.ScalarAsync<long>("SELECT count(*) FROM sso_connections WHERE id = @connection AND enabled AND deleted_at IS NULL", new { connection }));

        // Once SSO is optional again, it goes.
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_sso = false })).EnsureSuccessStatusCode();
        using (var deleted = await owner.DeleteAsync(new Uri(item, UriKind.Relative)))
            Assert.Equal(System.Net.HttpStatusCode.OK, deleted.StatusCode);
    }

    private async Task<Guid> AddSsoConnectionAsync(Guid orgId)
    {
        var id = Guid.NewGuid();
        await cp.ExecuteAsync(
            "INSERT INTO sso_connections (id, org_id, protocol, name, default_role, config) VALUES (@id, @orgId, 'oidc', 'Test IdP', 'member', '{}')",
            new { id, orgId });
        return id;
    }

    [Fact]
    public async Task A_break_glass_account_must_be_an_admin_of_this_org_and_there_are_at_most_five()
    {
        var org = await cp.SeedOrgAsync();
        var other = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var viewer = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);

        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = new[] { org.OwnerId, viewer } })).ProblemAsync(400, "break_glass_user_ids[1]");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = new[] { other.OwnerId } })).ProblemAsync(400, "break_glass_user_ids[0]");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = new[] { "not-an-id" } })).ProblemAsync(400, "break_glass_user_ids[0]");
        var six = new List<Guid>();
        for (var i = 0; i < 6; i++) six.Add(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = six })).ProblemAsync(400, "break_glass_user_ids");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_mfa = "yes" })).ProblemAsync(400, "require_mfa");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { require_webauthn = true })).ProblemAsync(400, "require_webauthn");
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM org_break_glass_accounts WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task A_break_glass_account_that_leaves_the_org_stops_being_one()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var admin = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin);
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/security", new { break_glass_user_ids = new[] { admin, org.OwnerId } })).EnsureSuccessStatusCode();

        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{admin}")).EnsureSuccessStatusCode();

        var settings = await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/security")).DataAsync();
        Assert.Equal([org.OwnerId.ToString()], settings["break_glass_user_ids"]!.AsArray().Select(u => u!.GetValue<string>()));
    }
}
