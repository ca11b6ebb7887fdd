using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>A project's retention and its org's default in the settings API: defaults, inheritance, validation, audit.</summary>
public sealed class RetentionSettingsTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    [Fact]
    public async Task A_project_follows_its_orgs_default_until_it_has_its_own_and_again_after_null()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        var fresh = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}")).DataAsync();
        Assert.Equal((30, "org"), Retention(fresh));
        Assert.Equal(30, (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}")).DataAsync())["default_retention_days"]!.GetValue<int>());

        var org90 = await (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}", new { default_retention_days = 90 })).DataAsync();
        Assert.Equal(90, org90["default_retention_days"]!.GetValue<int>());
        Assert.Equal((90, "org"), Retention(await (await owner.GetAsync($"/v1/projects/{org.ProjectId}")).DataAsync()));

        var own = await (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { retention_days = 7 })).DataAsync();
        Assert.Equal((7, "project"), Retention(own));
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}", new { default_retention_days = 60 })).EnsureSuccessStatusCode();
        Assert.Equal((7, "project"), Retention(await (await owner.GetAsync($"/v1/projects/{org.ProjectId}")).DataAsync()));

        var cleared = await (await owner.SendJsonAsync("PUT", $"/v1/projects/{org.ProjectId}", new JsonObject { ["retention_days"] = null })).DataAsync();
        Assert.Equal((60, "org"), Retention(cleared));

        var created = await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "short", retention_days = 3 })).DataAsync();
        Assert.Equal((3, "project"), Retention(created));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3651")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("\"30\"")]
    public async Task A_retention_outside_1_to_3650_whole_days_is_a_400_naming_the_field_and_changes_nothing(string value)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var before = await cp.SnapshotAsync(org.OrgId);

        foreach (var (url, field) in new[] { ($"/v1/projects/{org.ProjectId}", "retention_days"), ($"/v1/orgs/{org.OrgId}", "default_retention_days") })
        {
            using var content = new StringContent($"{{\"{field}\": {value}}}", System.Text.Encoding.UTF8, "application/json");
            var response = await owner.PutAsync(url, content);
            var problem = await response.JsonAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("1 to 3650", problem["detail"]!.GetValue<string>());
            Assert.NotNull(problem["errors"]![field]);
        }
        Assert.Equal(before, await cp.SnapshotAsync(org.OrgId));
    }

    [Fact]
    public async Task Retention_changes_are_audited_with_before_and_after()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        (await owner.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { retention_days = 14 })).EnsureSuccessStatusCode();
        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}", new { default_retention_days = 45 })).EnsureSuccessStatusCode();

        var entries = (await (await owner.GetAsync($"/v1/orgs/{org.OrgId}/audit")).JsonAsync())["data"]!.AsArray();
        var orgEntry = entries.Single(e => e!["action"]!.GetValue<string>() == "org.updated")!;
        Assert.Equal(30, orgEntry["before"]!["default_retention_days"]!.GetValue<int>());
        Assert.Equal(45, orgEntry["after"]!["default_retention_days"]!.GetValue<int>());
        var projectEntry = entries.First(e => e!["action"]!.GetValue<string>() == "project.updated")!;
        Assert.Equal(30, projectEntry["before"]!["retention_days"]!.GetValue<int>());
        Assert.Equal(14, projectEntry["after"]!["retention_days"]!.GetValue<int>());
    }

    [Fact]
    public async Task Changing_the_orgs_default_notes_the_projects_it_governs_for_the_sync_and_not_those_with_their_own()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var own = Guid.Parse((await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "own", retention_days = 5 })).DataAsync())["id"]!.GetValue<string>());
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        var before = await connection.ExecuteScalarAsync<long>("SELECT coalesce(max(xid), 0) FROM sync_changes");

        (await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}", new { default_retention_days = 12 })).EnsureSuccessStatusCode();

        // The controllers' stream sends what sync_changes names (cpdb migrations 0008 and 0012).
        var noted = (await connection.QueryAsync<Guid>(
            "SELECT object_id FROM sync_changes WHERE kind = 'project' AND xid > @before", new { before })).ToHashSet();
        Assert.Contains(org.ProjectId, noted);
        Assert.DoesNotContain(own, noted);
    }

    [Fact]
    public async Task A_viewer_may_read_the_retention_but_not_change_it()
    {
        var org = await cp.SeedOrgAsync();
        var viewer = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Viewer));

        Assert.Equal((30, "org"), Retention(await (await viewer.GetAsync($"/v1/projects/{org.ProjectId}")).DataAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutJsonAsync($"/v1/projects/{org.ProjectId}", new { retention_days = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutJsonAsync($"/v1/orgs/{org.OrgId}", new { default_retention_days = 1 })).StatusCode);
    }

    private static (int Days, string Source) Retention(JsonNode project) =>
        (project["retention_days"]!.GetValue<int>(), project["retention_source"]!.GetValue<string>());
}
