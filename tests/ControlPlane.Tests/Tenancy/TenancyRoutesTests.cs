using System.Net;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>The spec's virtual data plane, workspace and project routes, and the org list routes.</summary>
public sealed class TenancyRoutesTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task Owner_creates_reads_updates_and_lists_a_dataplane_workspace_and_project_in_spec_shapes()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        var dataplane = await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "EU data plane" })).DataAsync();
        Assert.Equal("EU data plane", dataplane["name"]!.GetValue<string>());
        Assert.Equal("local", dataplane["cluster_id"]!.GetValue<string>());
        Assert.Equal(["id", "name", "cluster_id", "created_at", "updated_at"], dataplane.AsObject().Select(p => p.Key));
        var dataplaneId = dataplane["id"]!.GetValue<string>();

        var workspace = await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{dataplaneId}/workspaces", new { name = "Research", description = "R&D" })).DataAsync();
        Assert.Equal(["id", "name", "description", "created_at", "updated_at"], workspace.AsObject().Select(p => p.Key));
        var workspaceId = workspace["id"]!.GetValue<string>();

        var project = await (await owner.PostJsonAsync($"/v1/workspaces/{workspaceId}/projects", new { name = "chatbot" })).DataAsync();
        Assert.Equal("", project["description"]!.GetValue<string>());
        var projectId = project["id"]!.GetValue<string>();

        var updated = await (await owner.PutJsonAsync($"/v1/projects/{projectId}", new { description = "support bot" })).DataAsync();
        Assert.Equal("chatbot", updated["name"]!.GetValue<string>());
        Assert.Equal("support bot", updated["description"]!.GetValue<string>());
        Assert.True(updated["updated_at"]!.GetValue<DateTime>() >= project["updated_at"]!.GetValue<DateTime>());

        Assert.Equal("support bot", (await (await owner.GetAsync($"/v1/projects/{projectId}")).DataAsync())["description"]!.GetValue<string>());
        Assert.Equal("Research", (await (await owner.GetAsync($"/v1/workspaces/{workspaceId}")).DataAsync())["name"]!.GetValue<string>());
        Assert.Equal("EU data plane", (await (await owner.GetAsync($"/v1/virtual_dataplanes/{dataplaneId}")).DataAsync())["name"]!.GetValue<string>());
        Assert.Equal("Berlin", (await (await owner.PutJsonAsync($"/v1/virtual_dataplanes/{dataplaneId}", new { name = "Berlin" })).DataAsync())["name"]!.GetValue<string>());
        Assert.Equal("Lab", (await (await owner.PutJsonAsync($"/v1/workspaces/{workspaceId}", new { name = "Lab" })).DataAsync())["name"]!.GetValue<string>());

        Assert.Equal(2, (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes")).DataAsync()).AsArray().Count);
        Assert.Single((await (await owner.GetAsync($"/v1/virtual_dataplanes/{dataplaneId}/workspaces")).DataAsync()).AsArray());
        Assert.Equal(projectId, (await (await owner.GetAsync($"/v1/workspaces/{workspaceId}/projects")).DataAsync())[0]!["id"]!.GetValue<string>());

        var orgs = (await (await owner.GetAsync("/v1/orgs")).DataAsync()).AsArray();
        Assert.Equal(org.OrgId.ToString(), Assert.Single(orgs)!["id"]!.GetValue<string>());
        Assert.Equal("owner", (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}")).DataAsync())["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_user_who_creates_a_workspace_or_project_is_bound_admin_on_it()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var workspaceId = (await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = "Ops" })).DataAsync())["id"]!.GetValue<string>();
        var projectId = (await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "p2" })).DataAsync())["id"]!.GetValue<string>();

        var bindings = await cp.ScalarAsync<long>(
            "SELECT count(*) FROM role_bindings WHERE user_id = @u AND role = 'admin' AND scope_id IN (@w, @p)",
            new { u = org.OwnerId, w = Guid.Parse(workspaceId), p = Guid.Parse(projectId) });
        Assert.Equal(2, bindings);
    }

    [Fact]
    public async Task Creator_fields_are_refused_from_users_and_bind_the_named_member_for_api_keys()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var member = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Member);
        var email = TenancyApp.EmailOf(member);

        await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "x", project_creator = email })).ProblemAsync(400, "project_creator");
        await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = "x", workspace_creator = email })).ProblemAsync(400, "workspace_creator");
        await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "x", dataplane_creator = email })).ProblemAsync(400, "dataplane_creator");

        var key = await cp.AsKeyAsync(org.OrgId, "org", org.OrgId, Permissions.ProjectsManage, Permissions.ProjectsRead);
        await (await key.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "y", project_creator = "nobody@example.com" })).ProblemAsync(400, "project_creator");
        var project = await (await key.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "y", project_creator = email })).DataAsync();
        Assert.Equal("admin", await cp.ScalarAsync<string>("SELECT role FROM role_bindings WHERE user_id = @member AND scope_id = @p",
            new { member, p = Guid.Parse(project["id"]!.GetValue<string>()) }));
        var withoutCreator = await (await key.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "z" })).DataAsync();
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM role_bindings WHERE scope_id = @p", new { p = Guid.Parse(withoutCreator["id"]!.GetValue<string>()) }));
    }

    [Fact]
    public async Task Deleting_a_workspace_with_active_projects_needs_the_flag_and_then_archives_them()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var before = await cp.ScalarAsync<DateTime>("SELECT updated_at FROM projects WHERE id = @id", new { id = org.ProjectId });

        await (await owner.DeleteAsync($"/v1/workspaces/{org.WorkspaceId}")).ProblemAsync(409, "dangerously_delete_child_scopes");
        await (await owner.DeleteAsync($"/v1/workspaces/{org.WorkspaceId}?dangerously_delete_child_scopes=maybe")).ProblemAsync(400, "dangerously_delete_child_scopes");
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/v1/projects/{org.ProjectId}")).StatusCode);

        var deleted = await (await owner.DeleteAsync($"/v1/workspaces/{org.WorkspaceId}?dangerously_delete_child_scopes=true")).DataAsync();
        Assert.Equal(org.WorkspaceId.ToString(), deleted["id"]!.GetValue<string>());
        await (await owner.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).ProblemAsync(404);
        await (await owner.GetAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(404);
        Assert.True(await cp.ScalarAsync<DateTime>("SELECT updated_at FROM projects WHERE id = @id AND deleted_at IS NOT NULL", new { id = org.ProjectId }) > before);
    }

    [Fact]
    public async Task An_emptied_workspace_and_dataplane_delete_without_the_flag_and_a_deleted_project_is_404()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.DeleteAsync($"/v1/virtual_dataplanes/{org.DataplaneId}")).ProblemAsync(409, "dangerously_delete_child_scopes");
        Assert.Equal(org.ProjectId.ToString(), (await (await owner.DeleteAsync($"/v1/projects/{org.ProjectId}")).DataAsync())["id"]!.GetValue<string>());
        await (await owner.DeleteAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(404);
        await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { name = "again" })).ProblemAsync(404);
        (await owner.DeleteAsync($"/v1/workspaces/{org.WorkspaceId}")).EnsureSuccessStatusCode();
        (await owner.DeleteAsync($"/v1/virtual_dataplanes/{org.DataplaneId}")).EnsureSuccessStatusCode();
        await (await owner.GetAsync($"/v1/virtual_dataplanes/{org.DataplaneId}")).ProblemAsync(404);
        Assert.Empty((await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes")).DataAsync()).AsArray());
    }

    [Fact]
    public async Task Deleting_a_dataplane_with_the_flag_archives_its_workspaces_and_projects()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.DeleteAsync($"/v1/virtual_dataplanes/{org.DataplaneId}?dangerously_delete_child_scopes=true")).EnsureSuccessStatusCode();
        Assert.Equal(2, await cp.ScalarAsync<long>(
            "SELECT (SELECT count(*) FROM workspaces WHERE id = @w AND deleted_at IS NOT NULL) + (SELECT count(*) FROM projects WHERE id = @p AND deleted_at IS NOT NULL)",
            new { w = org.WorkspaceId, p = org.ProjectId }));
        await (await owner.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).ProblemAsync(404);
    }

    [Theory]
    [InlineData("{\"name\":\"ok\",\"id\":\"00000000-0000-0000-0000-000000000001\"}", "id")]
    [InlineData("{\"name\":\"ok\",\"org_id\":\"00000000-0000-0000-0000-000000000001\"}", "org_id")]
    [InlineData("{\"name\":\"ok\",\"workspace_id\":\"00000000-0000-0000-0000-000000000001\"}", "workspace_id")]
    [InlineData("{\"name\":\"ok\",\"created_at\":\"2020-01-01T00:00:00Z\"}", "created_at")]
    [InlineData("{\"name\":\"ok\",\"owner\":\"me\"}", "owner")]
    [InlineData("{\"name\":\"\"}", "name")]
    [InlineData("{\"name\":5}", "name")]
    [InlineData("[1]", "body")]
    [InlineData("{\"name\":", "body")]
    public async Task A_project_put_with_a_field_it_may_not_set_is_400_naming_it_and_changes_nothing(string json, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.SendRawAsync(HttpMethod.Put, $"/v1/projects/{org.ProjectId}", json)).ProblemAsync(400, field);
        Assert.Equal("app", await cp.ScalarAsync<string>("SELECT name FROM projects WHERE id = @id AND workspace_id = @w", new { id = org.ProjectId, w = org.WorkspaceId }));
    }

    [Theory]
    [InlineData("org_id")]
    [InlineData("virtual_dataplane_id")]
    [InlineData("id")]
    public async Task A_workspace_put_that_tries_to_move_it_is_400_naming_the_field_and_changes_nothing(string field)
    {
        var org = await cp.SeedOrgAsync();
        var other = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        // Real destinations the caller could name: another org (whose owner they are not), another data plane of their own org.
        var secondDataplane = (await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "dp " + TenancyApp.Unique() })).DataAsync())["id"]!.GetValue<string>();
        var target = field switch { "org_id" => other.OrgId.ToString(), "virtual_dataplane_id" => secondDataplane, _ => Guid.NewGuid().ToString() };
        var (before, otherBefore) = (await cp.SnapshotAsync(org.OrgId), await cp.SnapshotAsync(other.OrgId));

        var body = new Dictionary<string, string> { ["name"] = "moved", [field] = target };
        await (await owner.PutJsonAsync($"/v1/workspaces/{org.WorkspaceId}", body)).ProblemAsync(400, field);

        Assert.Equal(before, await cp.SnapshotAsync(org.OrgId));
        Assert.Equal(otherBefore, await cp.SnapshotAsync(other.OrgId));
    }

    [Theory]
    [InlineData("/v1/orgs/{org}/virtual_dataplanes", "{\"name\":\"a\",\"cluster\":\"x\"}", "cluster")]
    [InlineData("/v1/orgs/{org}/virtual_dataplanes", "{\"name\":\" leading\"}", "name")]
    [InlineData("/v1/orgs/{org}/virtual_dataplanes", "{\"name\":\"a\",\"slug\":\"bad slug\"}", "slug")]
    [InlineData("/v1/orgs/{org}/virtual_dataplanes", "{\"name\":\"a\",\"cluster_id\":\"../x\"}", "cluster_id")]
    [InlineData("/v1/virtual_dataplanes/{dp}/workspaces", "{\"name\":\"a<b>\"}", "name")]
    [InlineData("/v1/virtual_dataplanes/{dp}/workspaces", "{\"description\":\"no name\"}", "name")]
    [InlineData("/v1/virtual_dataplanes/{dp}/workspaces", "{\"name\":\"a\",\"virtual_dataplane_id\":\"x\"}", "virtual_dataplane_id")]
    [InlineData("/v1/workspaces/{ws}/projects", "{\"name\":\"a\",\"workspace_id\":\"x\"}", "workspace_id")]
    [InlineData("/v1/workspaces/{ws}/projects", "{\"name\":\"a\",\"description\":[]}", "description")]
    public async Task Creating_with_bad_or_unknown_fields_is_400_naming_the_field(string route, string json, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var url = route.Replace("{org}", org.OrgId.ToString()).Replace("{dp}", org.DataplaneId.ToString()).Replace("{ws}", org.WorkspaceId.ToString());
        var audit = await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE org_id = @o", new { o = org.OrgId });
        await (await owner.SendRawAsync(HttpMethod.Post, url, json)).ProblemAsync(400, field);
        Assert.Equal(audit, await cp.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Theory]
    [InlineData("{\"cluster_id\":\"other\"}", "cluster_id")]
    [InlineData("{\"slug\":\"moved\"}", "slug")]
    [InlineData("{\"org_id\":\"00000000-0000-0000-0000-000000000001\"}", "org_id")]
    [InlineData("{\"name\":\"a\",\"name\":\"b\"}", "body")]
    public async Task A_dataplane_put_changes_only_its_name_and_refuses_placement_fields(string json, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.SendRawAsync(HttpMethod.Put, $"/v1/virtual_dataplanes/{org.DataplaneId}", json)).ProblemAsync(400, field);
        Assert.Equal(("main", "local"), (await cp.ScalarAsync<string>("SELECT name FROM virtual_dataplanes WHERE id = @id", new { id = org.DataplaneId }),
            await cp.ScalarAsync<string>("SELECT cluster_id FROM virtual_dataplanes WHERE id = @id", new { id = org.DataplaneId })));
    }

    [Fact]
    public async Task An_api_key_lists_its_own_org_and_a_workspace_key_reads_only_under_its_workspace()
    {
        var org = await cp.SeedOrgAsync();
        var key = await cp.AsKeyAsync(org.OrgId, "workspace", org.WorkspaceId, Permissions.WorkspacesRead, Permissions.ProjectsRead);
        Assert.Equal(org.OrgId.ToString(), Assert.Single((await (await key.GetAsync("/v1/orgs")).DataAsync()).AsArray())!["id"]!.GetValue<string>());
        (await key.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).EnsureSuccessStatusCode();
        (await key.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();
        await (await key.GetAsync($"/v1/virtual_dataplanes/{org.DataplaneId}")).ProblemAsync(404);
        await (await key.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { name = "k" })).ProblemAsync(403);
    }

    [Fact]
    public async Task Taken_slugs_and_names_are_409()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "a", slug = "shared_slug_" + org.OrgId.ToString("N") })).EnsureSuccessStatusCode();
        await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = "b", slug = "shared_slug_" + org.OrgId.ToString("N") })).ProblemAsync(409, "slug");
        await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = "team" })).ProblemAsync(409, "name");
        await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "app" })).ProblemAsync(409, "name");
    }

    [Fact]
    public async Task Cluster_id_must_be_sent_when_the_orgs_dataplanes_span_two_clusters()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "eu", cluster_id = "eu-1" })).EnsureSuccessStatusCode();
        await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "x" })).ProblemAsync(400, "cluster_id");
    }

    [Fact]
    public async Task Viewer_reads_but_cannot_change_and_member_cannot_create_projects()
    {
        var org = await cp.SeedOrgAsync();
        var viewer = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer));
        var member = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Member));
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));

        (await viewer.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();
        await (await viewer.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { name = "v" })).ProblemAsync(403);
        await (await viewer.DeleteAsync($"/v1/projects/{org.ProjectId}")).ProblemAsync(403);
        await (await member.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "m" })).ProblemAsync(403);
        await (await member.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "m" })).ProblemAsync(403);
        (await admin.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "a" })).EnsureSuccessStatusCode();
        Assert.Equal("app", await cp.ScalarAsync<string>("SELECT name FROM projects WHERE id = @id", new { id = org.ProjectId }));
    }

    [Fact]
    public async Task A_project_bound_member_sees_only_that_project_and_not_the_workspace()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var other = Guid.Parse((await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "hidden" })).DataAsync())["id"]!.GetValue<string>());
        var user = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, null, ("project", org.ProjectId, BuiltInRoles.Member)));

        (await user.GetAsync($"/v1/projects/{org.ProjectId}")).EnsureSuccessStatusCode();
        await (await user.GetAsync($"/v1/projects/{other}")).ProblemAsync(404);
        await (await user.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).ProblemAsync(404);
        var listed = (await (await user.GetAsync($"/v1/workspaces/{org.WorkspaceId}/projects")).DataAsync()).AsArray();
        Assert.Equal(org.ProjectId.ToString(), Assert.Single(listed)!["id"]!.GetValue<string>());
        await (await user.GetAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes")).ProblemAsync(404);
    }

    [Fact]
    public async Task Malformed_route_ids_are_404_and_unauthenticated_calls_are_401()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.GetAsync("/v1/projects/not-a-uuid")).ProblemAsync(404);
        await (await owner.GetAsync("/v1/workspaces/not-a-uuid")).ProblemAsync(404);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cp.Anonymous().GetAsync($"/v1/projects/{org.ProjectId}")).StatusCode);
    }
}
