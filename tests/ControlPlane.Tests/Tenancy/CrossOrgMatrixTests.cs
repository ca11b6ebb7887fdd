using System.Net;
using HoneyHive.ServiceDefaults.Auth;
using Xunit.Abstractions;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>
/// Every authenticated control-plane route called by another org's owner (a user and a control-plane key) with org A's
/// ids: always 404 as for a missing id, never 403 (which would say it exists), and org A unchanged. The matrix fails when
/// a served route is missing from it, so a new route cannot skip this check.
/// </summary>
public sealed class CrossOrgMatrixTests(TenancyApp cp, ITestOutputHelper output) : IClassFixture<TenancyApp>
{
    private sealed record Ids(SeededOrg A, SeededOrg B, OrgObjects OfA, Guid MemberB);

    /// <summary>One call: the route it exercises (method and pattern), the URL and the JSON body, all naming org A's objects.</summary>
    private sealed record Call(string Method, string Pattern, Func<Ids, string> Url, Func<Ids, object?> Body);

    private static readonly Call[] Matrix =
    [
        new("GET", "/v1/orgs/{org_id}", i => $"/v1/orgs/{i.A.OrgId}", _ => null),
        new("PUT", "/v1/orgs/{org_id}", i => $"/v1/orgs/{i.A.OrgId}", _ => new { default_retention_days = 1 }),
        new("POST", "/v1/orgs/{org_id}/virtual_dataplanes", i => $"/v1/orgs/{i.A.OrgId}/virtual_dataplanes", _ => new { name = "intruder" }),
        new("GET", "/v1/orgs/{org_id}/virtual_dataplanes", i => $"/v1/orgs/{i.A.OrgId}/virtual_dataplanes", _ => null),
        new("GET", "/v1/orgs/{org_id}/data_planes", i => $"/v1/orgs/{i.A.OrgId}/data_planes", _ => null),
        new("GET", "/v1/virtual_dataplanes/{virtual_dataplane_id}", i => $"/v1/virtual_dataplanes/{i.A.DataplaneId}", _ => null),
        new("PUT", "/v1/virtual_dataplanes/{virtual_dataplane_id}", i => $"/v1/virtual_dataplanes/{i.A.DataplaneId}", _ => new { name = "intruder" }),
        new("POST", "/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", i => $"/v1/virtual_dataplanes/{i.A.DataplaneId}/workspaces", _ => new { name = "intruder" }),
        new("GET", "/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", i => $"/v1/virtual_dataplanes/{i.A.DataplaneId}/workspaces", _ => null),
        new("GET", "/v1/workspaces/{workspace_id}", i => $"/v1/workspaces/{i.A.WorkspaceId}", _ => null),
        new("PUT", "/v1/workspaces/{workspace_id}", i => $"/v1/workspaces/{i.A.WorkspaceId}", _ => new { name = "intruder" }),
        new("POST", "/v1/workspaces/{workspace_id}/projects", i => $"/v1/workspaces/{i.A.WorkspaceId}/projects", _ => new { name = "intruder" }),
        new("GET", "/v1/workspaces/{workspace_id}/projects", i => $"/v1/workspaces/{i.A.WorkspaceId}/projects", _ => null),
        new("GET", "/v1/projects/{project_id}", i => $"/v1/projects/{i.A.ProjectId}", _ => null),
        new("PUT", "/v1/projects/{project_id}", i => $"/v1/projects/{i.A.ProjectId}", _ => new { name = "intruder" }),
        new("GET", "/v1/projects/{project_id}/quotas", i => $"/v1/projects/{i.A.ProjectId}/quotas", _ => null),
        new("PUT", "/v1/projects/{project_id}/quotas", i => $"/v1/projects/{i.A.ProjectId}/quotas", _ => new { ingest_spans_per_second = 1_000_000 }),
        new("GET", "/v1/orgs/{org_id}/members", i => $"/v1/orgs/{i.A.OrgId}/members", _ => null),
        new("PUT", "/v1/orgs/{org_id}/members/{user_id}", i => $"/v1/orgs/{i.A.OrgId}/members/{i.OfA.Member}", _ => new { role = "admin" }),
        new("PUT", "/v1/orgs/{org_id}/members/{user_id}", i => $"/v1/orgs/{i.B.OrgId}/members/{i.OfA.Member}", _ => new { role = "admin" }),
        new("PUT", "/v1/orgs/{org_id}/members/{user_id}/bindings", i => $"/v1/orgs/{i.A.OrgId}/members/{i.OfA.Member}/bindings",
            i => new { scope_type = "workspace", scope_id = i.A.WorkspaceId, role = "admin" }),
        new("PUT", "/v1/orgs/{org_id}/members/{user_id}/bindings", i => $"/v1/orgs/{i.B.OrgId}/members/{i.MemberB}/bindings",
            i => new { scope_type = "project", scope_id = i.A.ProjectId, role = "admin" }),
        new("DELETE", "/v1/orgs/{org_id}/members/{user_id}/bindings", i => $"/v1/orgs/{i.A.OrgId}/members/{i.OfA.Member}/bindings?scope_type=workspace&scope_id={i.A.WorkspaceId}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/members/{user_id}/bindings", i => $"/v1/orgs/{i.B.OrgId}/members/{i.OfA.Member}/bindings?scope_type=workspace&scope_id={i.A.WorkspaceId}", _ => null),
        new("POST", "/v1/orgs/{org_id}/invitations", i => $"/v1/orgs/{i.A.OrgId}/invitations", _ => new { email = "intruder@example.com", role = "owner" }),
        new("POST", "/v1/orgs/{org_id}/invitations", i => $"/v1/orgs/{i.B.OrgId}/invitations", i => new { email = "intruder@example.com", role = "admin", scope_type = "workspace", scope_id = i.A.WorkspaceId }),
        new("GET", "/v1/orgs/{org_id}/invitations", i => $"/v1/orgs/{i.A.OrgId}/invitations", _ => null),
        new("GET", "/v1/orgs/{org_id}/roles", i => $"/v1/orgs/{i.A.OrgId}/roles", _ => null),
        new("POST", "/v1/orgs/{org_id}/roles", i => $"/v1/orgs/{i.A.OrgId}/roles", _ => new { name = "intruder", permissions = new[] { "org:manage" } }),
        new("PUT", "/v1/orgs/{org_id}/roles/{name}", i => $"/v1/orgs/{i.A.OrgId}/roles/{OrgObjects.Role}", _ => new { permissions = new[] { "org:manage" } }),
        new("GET", "/v1/orgs/{org_id}/audit", i => $"/v1/orgs/{i.A.OrgId}/audit", _ => null),
        new("GET", "/v1/orgs/{org_id}/security", i => $"/v1/orgs/{i.A.OrgId}/security", _ => null),
        new("PUT", "/v1/orgs/{org_id}/security", i => $"/v1/orgs/{i.A.OrgId}/security", _ => new { require_mfa = true }),
        // B's owner naming themselves break-glass in A (they are no member of A): A is not found, and nothing changes.
        new("PUT", "/v1/orgs/{org_id}/security", i => $"/v1/orgs/{i.A.OrgId}/security", i => new { require_sso = true, break_glass_user_ids = new[] { i.B.OwnerId } }),
        new("GET", "/v1/projects/{project_id}/api_keys", i => $"/v1/projects/{i.A.ProjectId}/api_keys", _ => null),
        new("POST", "/v1/projects/{project_id}/api_keys", i => $"/v1/projects/{i.A.ProjectId}/api_keys", _ => new { name = "intruder", scopes = new[] { "read" } }),
        new("GET", "/v1/orgs/{org_id}/api_keys", i => $"/v1/orgs/{i.A.OrgId}/api_keys", _ => null),
        new("POST", "/v1/orgs/{org_id}/api_keys", i => $"/v1/orgs/{i.A.OrgId}/api_keys", _ => new { name = "intruder", permissions = new[] { "keys:read" } }),
        new("POST", "/v1/orgs/{org_id}/api_keys", i => $"/v1/orgs/{i.B.OrgId}/api_keys",
            i => new { name = "intruder", permissions = new[] { "keys:read" }, scope_type = "workspace", scope_id = i.A.WorkspaceId }),
        new("GET", "/v1/projects/{project_id}/alerts", i => $"/v1/projects/{i.A.ProjectId}/alerts", _ => null),
        new("POST", "/v1/projects/{project_id}/alerts", i => $"/v1/projects/{i.A.ProjectId}/alerts", _ => OrgObjects.AlertBody("intruder")),
        new("GET", "/v1/projects/{project_id}/alerts/{alert_id}", i => $"/v1/projects/{i.A.ProjectId}/alerts/{i.OfA.Alert}", _ => null),
        new("PUT", "/v1/projects/{project_id}/alerts/{alert_id}", i => $"/v1/projects/{i.A.ProjectId}/alerts/{i.OfA.Alert}", _ => new { status = "PAUSED" }),
        new("GET", "/v1/projects/{project_id}/alerts/{alert_id}/triggers", i => $"/v1/projects/{i.A.ProjectId}/alerts/{i.OfA.Alert}/triggers", _ => null),
        // Notification channels: A's scopes, and B's scope with A's channel id (a channel is found only under its own scope).
        new("POST", "/v1/orgs/{org_id}/notification_channels", i => $"/v1/orgs/{i.A.OrgId}/notification_channels", _ => IntruderChannel),
        new("GET", "/v1/orgs/{org_id}/notification_channels", i => $"/v1/orgs/{i.A.OrgId}/notification_channels", _ => null),
        new("GET", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.A.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => null),
        new("GET", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.B.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => null),
        new("PUT", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.A.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => new { name = "intruder" }),
        new("PUT", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.B.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => new { name = "intruder" }),
        new("POST", "/v1/workspaces/{workspace_id}/notification_channels", i => $"/v1/workspaces/{i.A.WorkspaceId}/notification_channels", _ => IntruderChannel),
        new("GET", "/v1/workspaces/{workspace_id}/notification_channels", i => $"/v1/workspaces/{i.A.WorkspaceId}/notification_channels", _ => null),
        new("GET", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", i => $"/v1/workspaces/{i.A.WorkspaceId}/notification_channels/{i.OfA.WorkspaceChannel}", _ => null),
        new("PUT", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", i => $"/v1/workspaces/{i.A.WorkspaceId}/notification_channels/{i.OfA.WorkspaceChannel}", _ => new { name = "intruder" }),
        new("POST", "/v1/projects/{project_id}/notification_channels", i => $"/v1/projects/{i.A.ProjectId}/notification_channels", _ => IntruderChannel),
        new("GET", "/v1/projects/{project_id}/notification_channels", i => $"/v1/projects/{i.A.ProjectId}/notification_channels", _ => null),
        new("GET", "/v1/projects/{project_id}/notification_channels/{channel_id}", i => $"/v1/projects/{i.A.ProjectId}/notification_channels/{i.OfA.ProjectChannel}", _ => null),
        new("PUT", "/v1/projects/{project_id}/notification_channels/{channel_id}", i => $"/v1/projects/{i.A.ProjectId}/notification_channels/{i.OfA.ProjectChannel}", _ => new { name = "intruder" }),
        // SSO connections: A's org, and B's org with A's connection id (a connection is found only under its own org).
        new("POST", "/v1/orgs/{org_id}/sso_connections", i => $"/v1/orgs/{i.A.OrgId}/sso_connections", _ => OrgObjects.SsoConnectionBody("intruder")),
        new("GET", "/v1/orgs/{org_id}/sso_connections", i => $"/v1/orgs/{i.A.OrgId}/sso_connections", _ => null),
        new("GET", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.A.OrgId}/sso_connections/{i.OfA.SsoConnection}", _ => null),
        new("GET", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.B.OrgId}/sso_connections/{i.OfA.SsoConnection}", _ => null),
        new("PUT", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.A.OrgId}/sso_connections/{i.OfA.SsoConnection}", _ => new { name = "intruder", enabled = false }),
        new("PUT", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.B.OrgId}/sso_connections/{i.OfA.SsoConnection}", _ => new { name = "intruder", enabled = false }),
        // The legacy project routes (the SDK's, forwarded by the DP) name A's workspace and project by query and body.
        new("POST", "/v1/projects/", i => $"/v1/projects?workspace_id={i.A.WorkspaceId}", _ => new { name = "intruder-v1" }),
        new("PUT", "/v1/projects/", i => $"/v1/projects?workspace_id={i.A.WorkspaceId}", i => new { name = i.OfA.LegacyProject, description = "intruder" }),
        new("POST", "/projects/", i => $"/projects?workspace_id={i.A.WorkspaceId}", _ => new { name = "intruder-legacy" }),
        new("PUT", "/projects/", i => $"/projects?workspace_id={i.A.WorkspaceId}", i => new { name = i.OfA.LegacyProject2, description = "intruder" }),
        // Destructive calls last, each on an object of its own, so the owner's check below leaves the others in place.
        new("DELETE", "/v1/orgs/{org_id}/invitations/{invitation_id}", i => $"/v1/orgs/{i.A.OrgId}/invitations/{i.OfA.SpareInvitation}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/invitations/{invitation_id}", i => $"/v1/orgs/{i.B.OrgId}/invitations/{i.OfA.Invitation}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/roles/{name}", i => $"/v1/orgs/{i.A.OrgId}/roles/{OrgObjects.SpareRole}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/members/{user_id}", i => $"/v1/orgs/{i.A.OrgId}/members/{i.OfA.SpareMember}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/members/{user_id}", i => $"/v1/orgs/{i.B.OrgId}/members/{i.OfA.Member}", _ => null),
        new("DELETE", "/v1/projects/{project_id}", i => $"/v1/projects/{i.OfA.SpareProject}", _ => null),
        new("DELETE", "/v1/workspaces/{workspace_id}", i => $"/v1/workspaces/{i.OfA.EmptyWorkspace}", _ => null),
        new("DELETE", "/v1/virtual_dataplanes/{virtual_dataplane_id}", i => $"/v1/virtual_dataplanes/{i.OfA.EmptyDataplane}", _ => null),
        new("DELETE", "/v1/api_keys/{key_id}", i => $"/v1/api_keys/{i.OfA.ProjectKey}", _ => null),
        new("DELETE", "/v1/projects/{project_id}/alerts/{alert_id}", i => $"/v1/projects/{i.A.ProjectId}/alerts/{i.OfA.SpareAlert}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.A.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/notification_channels/{channel_id}", i => $"/v1/orgs/{i.B.OrgId}/notification_channels/{i.OfA.OrgChannel}", _ => null),
        new("DELETE", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", i => $"/v1/workspaces/{i.A.WorkspaceId}/notification_channels/{i.OfA.WorkspaceChannel}", _ => null),
        new("DELETE", "/v1/projects/{project_id}/notification_channels/{channel_id}", i => $"/v1/projects/{i.A.ProjectId}/notification_channels/{i.OfA.ProjectChannel}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.A.OrgId}/sso_connections/{i.OfA.SpareSsoConnection}", _ => null),
        new("DELETE", "/v1/orgs/{org_id}/sso_connections/{connection_id}", i => $"/v1/orgs/{i.B.OrgId}/sso_connections/{i.OfA.SsoConnection}", _ => null),
        new("DELETE", "/v1/projects/", i => $"/v1/projects?workspace_id={i.A.WorkspaceId}&name={i.OfA.LegacyProject}", _ => null),
        new("DELETE", "/projects/", i => $"/projects?workspace_id={i.A.WorkspaceId}&name={i.OfA.LegacyProject2}", _ => null),
    ];

    private static readonly object IntruderChannel = new { name = "intruder", kind = "EMAIL", emails = new[] { "intruder@example.com" } };

    /// <summary>Routes answered for the caller's own orgs only, so another org's ids never appear: checked apart.</summary>
    private static readonly string[] CallerScoped =
    [
        "GET /v1/orgs", "GET /v1/auth/me", "POST /v1/auth/logout-all", "POST /v1/auth/password",
        "GET /v1/auth/mfa", "POST /v1/auth/mfa/totp", "POST /v1/auth/mfa/totp/confirm", "POST /v1/auth/mfa/recovery_codes", "POST /v1/auth/mfa/disable",
    ];

    [Fact]
    public void Every_authenticated_control_plane_route_is_in_the_cross_org_matrix()
    {
        var served = cp.AuthenticatedRoutes();
        var covered = Matrix.Select(c => $"{c.Method} {c.Pattern}").Concat(CallerScoped).ToHashSet(StringComparer.Ordinal);

        Assert.True(served.Count >= 30, $"Only {served.Count} routes found: is the endpoint listing read right?");
        Assert.Empty(served.Except(covered).Order());
        Assert.Empty(covered.Except(served).Order());
    }

    [Fact]
    public async Task Another_orgs_owner_and_key_get_404_on_every_route_and_change_nothing()
    {
        var ids = await SeedAsync();
        var attackers = new Dictionary<string, HttpClient>
        {
            ["org B owner"] = await cp.AsUserAsync(ids.B.OwnerId),
            ["org B key"] = await cp.AsKeyAsync(ids.B.OrgId, "org", ids.B.OrgId, [.. Permissions.All]),
        };
        var before = await cp.SnapshotAsync(ids.A.OrgId);

        var failures = new List<string>();
        foreach (var (who, client) in attackers)
        {
            foreach (var call in Matrix)
            {
                var response = await SendAsync(client, call, ids);
                if (response.StatusCode != HttpStatusCode.NotFound)
                    failures.Add($"{who}: {call.Method} {call.Url(ids)} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            var orgs = await (await client.GetAsync("/v1/orgs")).DataAsync();
            if (orgs.AsArray().Any(o => o!["id"]!.GetValue<string>() == ids.A.OrgId.ToString())) failures.Add($"{who}: GET /v1/orgs lists org A");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await cp.SnapshotAsync(ids.A.OrgId));

        // The same calls by org A's owner are not 404: the 404s above come from the org boundary, not from wrong URLs.
        var owner = await cp.AsUserAsync(ids.A.OwnerId);
        foreach (var call in Matrix.Where(c => c.Url(ids).Contains(ids.A.OrgId.ToString(), StringComparison.Ordinal) || !c.Url(ids).Contains("/v1/orgs/", StringComparison.Ordinal)))
        {
            var response = await SendAsync(owner, call, ids);
            output.WriteLine($"owner A: {call.Method} {call.Url(ids)} -> {(int)response.StatusCode}");
            Assert.True(response.StatusCode != HttpStatusCode.NotFound, $"owner A: {call.Method} {call.Url(ids)} -> 404 {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Call call, Ids ids) => client.SendJsonAsync(call.Method, call.Url(ids), call.Body(ids));

    private async Task<Ids> SeedAsync()
    {
        var a = await cp.SeedOrgAsync();
        var b = await cp.SeedOrgAsync();
        return new Ids(a, b, await cp.SeedObjectsAsync(a), await cp.AddUserAsync(b.OrgId, BuiltInRoles.Viewer));
    }
}
