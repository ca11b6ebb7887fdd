using System.Net;
using Dapper;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Keys;

/// <summary>
/// POST/PUT/DELETE /v1/projects (and /projects) on the control plane, as the data plane forwards them: a project key
/// with the admin scope acts in its own workspace only; a user needs projects:manage on the workspace.
/// </summary>
public sealed class LegacyProjectRouteTests(KeysApp cp) : IClassFixture<KeysApp>
{
    private static readonly HttpMethod Post = HttpMethod.Post, Put = HttpMethod.Put, Delete = HttpMethod.Delete;

    [Theory]
    [InlineData("/v1/projects")]
    [InlineData("/projects")]
    public async Task An_admin_project_key_creates_renames_and_soft_deletes_a_project_of_its_workspace(string route)
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var client = cp.Client(key);
        var name = "legacy-" + Guid.NewGuid().ToString("N")[..8];

        var (created, project, text) = await KeysApp.SendAsync(client, Post, route, new { name, description = "made by the SDK", type = "evaluation" });
        Assert.True(created == HttpStatusCode.OK, text);
        Assert.Equal(name, project!["name"]!.GetValue<string>());
        Assert.Equal(cp.OrgId.ToString(), project["org_id"]!.GetValue<string>());
        Assert.Equal(cp.WorkspaceId.ToString(), project["workspace_id"]!.GetValue<string>());
        var id = Guid.Parse(project["id"]!.GetValue<string>());

        var (again, conflict, _) = await KeysApp.SendAsync(client, Post, route, new { name });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("name", conflict!["field"]!.GetValue<string>());

        var (renamed, updated, _) = await KeysApp.SendAsync(client, Put, route, new { name, new_name = name + "-2", description = "renamed" });
        Assert.Equal(HttpStatusCode.OK, renamed);
        Assert.Equal(name + "-2", updated!["name"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(client, Delete, $"{route}?name={name}-2")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Delete, $"{route}?name={name}-2")).Status);
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT deleted_at IS NOT NULL FROM projects WHERE id = @id", new { id }));
        var actions = await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE target_id = @id ORDER BY id", new { id = id.ToString() });
        Assert.Equal(new[] { "project.created", "project.updated", "project.deleted" }, actions);
        // The name is free again once the project is deleted.
        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(client, Post, route, new { name = name + "-2" })).Status);
    }

    [Fact]
    public async Task A_project_key_cannot_rename_or_delete_a_project_of_another_workspace_nor_name_one()
    {
        var other = await cp.TenantAsync();
        string otherName;
        await using (var connection = await cp.Cpdb.OpenConnectionAsync())
            otherName = await connection.ExecuteScalarAsync<string>("SELECT name FROM projects WHERE id = @ProjectId", new { other.ProjectId }) ?? "";
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var client = cp.Client(key);

        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Put, "/v1/projects", new { name = otherName, new_name = "hijacked" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Delete, $"/v1/projects?name={otherName}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Post, $"/v1/projects?workspace_id={other.WorkspaceId}", new { name = "planted" })).Status);

        await using var check = await cp.Cpdb.OpenConnectionAsync();
        Assert.Equal(otherName, await check.ExecuteScalarAsync<string>("SELECT name FROM projects WHERE id = @ProjectId AND deleted_at IS NULL", new { other.ProjectId }));
        Assert.Equal(0, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM projects WHERE name = 'planted'"));
    }

    [Fact]
    public async Task A_project_key_without_admin_is_refused_naming_the_admin_scope()
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "ingest", "read", "write");
        using var client = cp.Client(key);

        var (status, problem, _) = await KeysApp.SendAsync(client, Post, "/v1/projects", new { name = "not-allowed" });

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("'admin' scope", problem!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"p","org_id":"00000000-0000-0000-0000-000000000001"}""", "org_id")]
    [InlineData("""{"name":"p","workspace_id":"00000000-0000-0000-0000-000000000001"}""", "workspace_id")]
    [InlineData("""{"name":"p","id":"00000000-0000-0000-0000-000000000001"}""", "id")]
    [InlineData("""{"name":"p","type":"chat"}""", "type")]
    [InlineData("""{"description":"no name"}""", "name")]
    [InlineData("""{"name":"   "}""", "name")]
    [InlineData("""{"name":"p\u0000"}""", "name")]
    [InlineData("""not json""", "body")]
    public async Task A_bad_create_is_a_400_naming_the_field(string body, string field)
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var client = cp.Client(key);

        var (status, problem, text) = await KeysApp.SendAsync(client, Post, "/v1/projects", body);

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Equal(field, problem!["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/projects", "id")]
    [InlineData("/v1/projects", "org_id")]
    [InlineData("/v1/projects", "workspace_id")]
    [InlineData("/projects", "project_id")]
    [InlineData("/projects", "org_id")]
    [InlineData("/projects", "workspace_id")]
    public async Task An_update_that_tries_to_change_the_projects_id_org_or_workspace_is_a_400_naming_the_field_and_changes_nothing(string route, string field)
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var client = cp.Client(key);
        var name = "pinned-" + Guid.NewGuid().ToString("N")[..8];
        var (_, project, _) = await KeysApp.SendAsync(client, Post, route, new { name });
        var id = Guid.Parse(project!["id"]!.GetValue<string>());
        // Destinations that exist: another org and its workspace, and another project's id.
        var (otherOrg, otherWorkspace, otherProject) = await cp.TenantAsync();
        var target = field switch { "org_id" => otherOrg, "workspace_id" => otherWorkspace, _ => otherProject };
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        const string Row = "SELECT row_to_json(p)::text FROM projects p WHERE id = @id";
        var before = await connection.ExecuteScalarAsync<string>(Row, new { id });
        var audited = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log");

        var body = new Dictionary<string, string> { ["name"] = name, ["new_name"] = name + "-moved", [field] = target.ToString() };
        var (status, problem, text) = await KeysApp.SendAsync(client, Put, route, body);

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Equal(field, problem!["field"]!.GetValue<string>());
        Assert.Equal(before, await connection.ExecuteScalarAsync<string>(Row, new { id }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM projects WHERE workspace_id = @otherWorkspace AND id <> @otherProject", new { otherWorkspace, otherProject }));
        Assert.Equal(audited, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_delete_without_a_name_is_a_400_naming_name()
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var client = cp.Client(key);

        var (status, problem, _) = await KeysApp.SendAsync(client, Delete, "/v1/projects");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("name", problem!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_user_needs_projects_manage_and_names_the_workspace_when_they_manage_several()
    {
        var viewer = await cp.UserAsync(BuiltInRoles.Viewer);
        using (var asViewer = cp.As(viewer))
            Assert.Equal(HttpStatusCode.Forbidden, (await KeysApp.SendAsync(asViewer, Post, $"/v1/projects?workspace_id={cp.WorkspaceId}", new { name = "v" })).Status);

        var workspaceAdmin = await cp.UserAsync(null, null, (GrantScopes.Workspace, cp.WorkspaceId, BuiltInRoles.Admin));
        using (var asAdmin = cp.As(workspaceAdmin))
        {
            var (status, project, text) = await KeysApp.SendAsync(asAdmin, Post, "/v1/projects", new { name = "by-ws-admin-" + Guid.NewGuid().ToString("N")[..6] });
            Assert.True(status == HttpStatusCode.OK, text);
            Assert.Equal(cp.WorkspaceId.ToString(), project!["workspace_id"]!.GetValue<string>());
        }

        await cp.TenantAsync(cp.OrgId); // a second workspace in the org
        using var owner = cp.As(cp.OwnerId);
        var (ambiguous, problem, _) = await KeysApp.SendAsync(owner, Post, "/v1/projects", new { name = "where" });
        Assert.Equal(HttpStatusCode.BadRequest, ambiguous);
        Assert.Equal("workspace_id", problem!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(owner, Post, $"/v1/projects?workspace_id={cp.WorkspaceId}", new { name = "where-" + Guid.NewGuid().ToString("N")[..6] })).Status);
    }

    [Fact]
    public async Task Keys_of_a_deleted_project_stop_working_on_the_control_plane()
    {
        var (_, admin) = await cp.ProjectKeyAsync(cp.ProjectId, "admin");
        using var asAdmin = cp.Client(admin);
        var name = "doomed-" + Guid.NewGuid().ToString("N")[..8];
        var (_, project, _) = await KeysApp.SendAsync(asAdmin, Post, "/v1/projects", new { name });
        var (_, doomedKey) = await cp.ProjectKeyAsync(Guid.Parse(project!["id"]!.GetValue<string>()), "admin");
        using var asDoomed = cp.Client(doomedKey);
        Assert.Equal(HttpStatusCode.Conflict, (await KeysApp.SendAsync(asDoomed, Post, "/v1/projects", new { name })).Status);

        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(asAdmin, Delete, $"/v1/projects?name={name}")).Status);

        Assert.Equal(HttpStatusCode.Unauthorized, (await KeysApp.SendAsync(asDoomed, Post, "/v1/projects", new { name = "zombie" })).Status);
    }
}
