using System.Net;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>Members, org roles, role bindings and custom roles, with who may change what.</summary>
public sealed class MembersAndRolesTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task Members_list_shows_roles_and_bindings_to_a_viewer()
    {
        var org = await cp.SeedOrgAsync();
        var bound = await cp.AddUserAsync(org.OrgId, null, ("workspace", org.WorkspaceId, BuiltInRoles.Admin));
        var viewer = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer));

        var members = (await (await viewer.GetAsync($"/v1/orgs/{org.OrgId}/members")).DataAsync()).AsArray();
        Assert.Equal(3, members.Count);
        var entry = members.Single(m => m!["user_id"]!.GetValue<string>() == bound.ToString())!;
        Assert.Null(entry["role"]);
        Assert.Equal(TenancyApp.EmailOf(bound), entry["email"]!.GetValue<string>());
        var binding = Assert.Single(entry["bindings"]!.AsArray())!;
        Assert.Equal(("workspace", org.WorkspaceId.ToString(), "admin"),
            (binding["scope_type"]!.GetValue<string>(), binding["scope_id"]!.GetValue<string>(), binding["role"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Admin_changes_roles_below_owner_but_only_an_owner_grants_or_revokes_owner()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);

        Assert.Equal("member", (await (await admin.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "member" })).DataAsync())["role"]!.GetValue<string>());
        await (await admin.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "owner" })).ProblemAsync(403, "role");
        await (await admin.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{org.OwnerId}", new { role = "viewer" })).ProblemAsync(403, "role");
        await (await admin.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{org.OwnerId}")).ProblemAsync(403, "role");
        Assert.Equal("member", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));

        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "owner" })).EnsureSuccessStatusCode();
        Assert.Equal("owner", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));
    }

    [Fact]
    public async Task Member_and_viewer_cannot_change_members()
    {
        var org = await cp.SeedOrgAsync();
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);
        foreach (var role in new[] { BuiltInRoles.Member, BuiltInRoles.Viewer })
        {
            var client = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, role));
            await (await client.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "admin" })).ProblemAsync(403);
            await (await client.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{target}")).ProblemAsync(403);
        }
        Assert.Equal("viewer", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));
    }

    [Fact]
    public async Task The_last_owner_can_be_neither_demoted_nor_removed_but_one_of_two_can()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{org.OwnerId}", new { role = "admin" })).ProblemAsync(409, "user_id");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{org.OwnerId}", new { role = (string?)null })).ProblemAsync(409, "user_id");
        await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{org.OwnerId}")).ProblemAsync(409, "user_id");
        Assert.Equal("owner", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @id", new { id = org.OwnerId }));

        var second = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Owner);
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{second}")).EnsureSuccessStatusCode();
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM org_members WHERE user_id = @second", new { second }));
    }

    [Fact]
    public async Task Removing_a_member_removes_their_bindings_and_their_access_at_once()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var user = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer, ("project", org.ProjectId, BuiltInRoles.Admin));
        var client = await cp.AsUserAsync(user);
        (await client.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();

        var removed = await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{user}")).DataAsync();
        Assert.Equal(user.ToString(), removed["user_id"]!.GetValue<string>());
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM role_bindings WHERE user_id = @user", new { user }));
        await (await client.GetAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(404);
        await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/members/{user}")).ProblemAsync(404);
    }

    [Fact]
    public async Task Bindings_are_set_and_removed_by_whoever_manages_members_of_that_workspace()
    {
        var org = await cp.SeedOrgAsync();
        var workspaceAdmin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, null, ("workspace", org.WorkspaceId, BuiltInRoles.Admin)));
        var user = await cp.AddUserAsync(org.OrgId, null);
        var url = $"/v1/orgs/{org.OrgId}/members/{user}/bindings";

        var set = await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "project", scope_id = org.ProjectId, role = "member" })).DataAsync();
        Assert.Equal("member", Assert.Single(set["bindings"]!.AsArray())!["role"]!.GetValue<string>());
        var client = await cp.AsUserAsync(user);
        (await client.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();

        await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "project", scope_id = org.ProjectId, role = "owner" })).ProblemAsync(400, "role");
        await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "org", scope_id = org.OrgId, role = "admin" })).ProblemAsync(400, "scope_type");
        await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "project", scope_id = "nope", role = "admin" })).ProblemAsync(400, "scope_id");
        await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "project", scope_id = org.ProjectId, role = "nonexistent" })).ProblemAsync(400, "role");
        await (await workspaceAdmin.PutJsonAsync(url, new { scope_type = "project", scope_id = org.ProjectId, role = "admin", user_id = Guid.NewGuid() })).ProblemAsync(400, "user_id");
        // The workspace admin manages members of the workspace only, not the org.
        await (await workspaceAdmin.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{user}", new { role = "admin" })).ProblemAsync(404);

        (await workspaceAdmin.DeleteAsync($"{url}?scope_type=project&scope_id={org.ProjectId}")).EnsureSuccessStatusCode();
        await (await workspaceAdmin.DeleteAsync($"{url}?scope_type=project&scope_id={org.ProjectId}")).ProblemAsync(404, "scope_id");
        await (await client.GetAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(404);
    }

    [Fact]
    public async Task A_binding_on_a_workspace_of_another_org_is_404_naming_scope_id_even_for_an_admin_of_both()
    {
        var org = await cp.SeedOrgAsync();
        var other = await cp.SeedOrgAsync();
        await cp.AddMembershipAsync(other.OrgId, org.OwnerId, BuiltInRoles.Owner);
        var owner = await cp.AsUserAsync(org.OwnerId);
        var user = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);

        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{user}/bindings",
            new { scope_type = "workspace", scope_id = other.WorkspaceId, role = "admin" })).ProblemAsync(404, "scope_id");
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM role_bindings WHERE user_id = @user", new { user }));
    }

    [Fact]
    public async Task Setting_an_unknown_org_role_is_400_and_null_removes_the_org_role()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "Owner" })).ProblemAsync(400, "role");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = 3 })).ProblemAsync(400, "role");
        var cleared = await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = (string?)null })).DataAsync();
        Assert.Null(cleared["role"]);
        Assert.Null(await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{Guid.NewGuid()}", new { role = "viewer" })).ProblemAsync(404);
    }

    [Fact]
    public async Task A_member_role_put_with_extra_fields_is_400_naming_them_and_changes_nothing()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "admin", org_id = Guid.NewGuid() })).ProblemAsync(400, "org_id");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "admin", email = "x@example.com" })).ProblemAsync(400, "email");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { user_id = target })).ProblemAsync(400, "user_id");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { })).ProblemAsync(400, "role");
        Assert.Equal("viewer", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));
    }

    [Fact]
    public async Task Roles_list_shows_built_ins_with_permissions_and_the_orgs_own()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "reader", permissions = new[] { "events:read" } })).EnsureSuccessStatusCode();
        var roles = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/roles")).DataAsync()).AsArray();
        Assert.Equal(["owner", "admin", "member", "viewer", "reader"], roles.Select(r => r!["name"]!.GetValue<string>()));
        Assert.True(roles[0]!["built_in"]!.GetValue<bool>());
        Assert.Equal(Permissions.All.Count, roles[0]!["permissions"]!.AsArray().Count);
        Assert.False(roles[4]!["built_in"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("{\"name\":\"admin\",\"permissions\":[\"events:read\"]}", "name")]
    [InlineData("{\"name\":\"Bad Name\",\"permissions\":[\"events:read\"]}", "name")]
    [InlineData("{\"name\":\"r\",\"permissions\":[\"events:read\",\"events:fly\"]}", "permissions[1]")]
    [InlineData("{\"name\":\"r\",\"permissions\":[\"events:read\",3]}", "permissions[1]")]
    [InlineData("{\"name\":\"r\",\"permissions\":[]}", "permissions")]
    [InlineData("{\"name\":\"r\"}", "permissions")]
    [InlineData("{\"name\":\"r\",\"permissions\":[\"events:read\"],\"built_in\":true}", "built_in")]
    public async Task Custom_roles_with_bad_names_or_unknown_permissions_are_400_naming_the_field(string json, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.SendRawAsync(HttpMethod.Post, $"/v1/orgs/{org.OrgId}/roles", json)).ProblemAsync(400, field);
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM custom_roles WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task A_custom_role_with_one_permission_allows_that_and_nothing_else()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "project-reader", description = "reads projects", permissions = new[] { "projects:read" } })).EnsureSuccessStatusCode();
        var user = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, null, ("workspace", org.WorkspaceId, "project-reader")));

        (await user.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();
        await (await user.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { name = "x" })).ProblemAsync(403);
        await (await user.DeleteAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(403);
        await (await user.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "x" })).ProblemAsync(403);
        await (await user.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).ProblemAsync(403);
        await (await user.GetAsync($"/v1/orgs/{org.OrgId}/members")).ProblemAsync(404);
        Assert.Single((await (await user.GetAsync($"/v1/workspaces/{org.WorkspaceId}/projects")).DataAsync()).AsArray());
    }

    [Fact]
    public async Task Custom_roles_are_updated_and_deleted_only_when_unbound_and_built_ins_are_not_changed()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "ops", permissions = new[] { "projects:read" } })).EnsureSuccessStatusCode();
        await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "ops", permissions = new[] { "projects:read" } })).ProblemAsync(409, "name");

        var updated = await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/roles/ops", new { permissions = new[] { "projects:read", "projects:manage" } })).DataAsync();
        Assert.Equal(2, updated["permissions"]!.AsArray().Count);
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/roles/ops", new { name = "renamed" })).ProblemAsync(400, "name");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/roles/admin", new { description = "x" })).ProblemAsync(400, "name");
        await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/roles/missing", new { description = "x" })).ProblemAsync(404);

        var user = await cp.AddUserAsync(org.OrgId, "ops");
        await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/roles/ops")).ProblemAsync(409, "name");
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{user}", new { role = "viewer" })).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/roles/ops")).EnsureSuccessStatusCode();
        await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/roles/viewer")).ProblemAsync(400, "name");
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM custom_roles WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task An_admin_cannot_make_a_role_holding_org_manage_nor_grant_one()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));
        await (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "boss", permissions = new[] { "projects:read", "org:manage" } })).ProblemAsync(403, "permissions[1]");

        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "boss", permissions = new[] { "org:manage" } })).EnsureSuccessStatusCode();
        var target = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer);
        await (await admin.PutJsonAsync($"/v1/orgs/{org.OrgId}/members/{target}", new { role = "boss" })).ProblemAsync(403, "role");
        Assert.Equal("viewer", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @target", new { target }));
    }

    [Fact]
    public async Task Roles_need_roles_manage_which_a_member_lacks()
    {
        var org = await cp.SeedOrgAsync();
        var member = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Member));
        await (await member.GetAsync($"/v1/orgs/{org.OrgId}/roles")).ProblemAsync(403);
        await (await member.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = "x", permissions = new[] { "events:read" } })).ProblemAsync(403);
        Assert.Equal(HttpStatusCode.OK, (await (await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin))).GetAsync($"/v1/orgs/{org.OrgId}/roles")).StatusCode);
    }
}
