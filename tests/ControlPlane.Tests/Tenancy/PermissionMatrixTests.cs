using System.Net;
using HoneyHive.ServiceDefaults.Auth;
using Xunit.Abstractions;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>
/// Every authenticated control-plane route against the permission it needs, written here apart from the code (as the
/// data plane's ScopeMatrixTests does for key scopes): a member whose org-wide role holds every permission but that one
/// is refused with 403 naming it and changes nothing; a member whose custom role holds exactly that one succeeds, and
/// the change they make is audited with them as actor (an update with its before and after). The
/// routes are read from the endpoint data sources, so a new route fails until it is added here with its permission.
/// </summary>
public sealed class PermissionMatrixTests(TenancyApp cp, ITestOutputHelper output) : IClassFixture<TenancyApp>
{
    /// <summary>Needs no permission, only membership of the org named in the route (another org's caller gets 404).</summary>
    private const string Member = "(member of the org)";

    /// <summary>Needs no permission: answers for the signed-in caller themselves.</summary>
    private const string SignedIn = "(signed in)";

    private sealed record Org(SeededOrg Seed, OrgObjects Objects);

    /// <param name="AnyOf">
    /// The permissions any one of which lets the caller through (a list answers what either lets them read), or
    /// <see cref="Member"/> or <see cref="SignedIn"/>.
    /// </param>
    /// <param name="Also">Permissions needed on top, checked in the handler (a project key's scope must be within its creator's).</param>
    private sealed record Route(string Method, string Pattern, string[] AnyOf, Func<Org, string> Url, Func<Org, object?> Body, string[] Also)
    {
        public string Key => $"{Method} {Pattern}";
    }

    private static Route R(string method, string pattern, string need, Func<Org, string> url, Func<Org, object?>? body = null, params string[] also) =>
        new(method, pattern, [need], url, body ?? (_ => null), also);

    private static Route Either(string method, string pattern, string[] anyOf, Func<Org, string> url) => new(method, pattern, anyOf, url, _ => null, []);

    private static int retentionDays = 30;

    /// <summary>A retention unlike the last one sent, so each allowed update is a change with a before and an after.</summary>
    private static int NextRetentionDays() => 31 + (Interlocked.Increment(ref retentionDays) % 3000);

    private static readonly object NewChannel = new { name = "on-call", kind = "EMAIL", emails = new[] { "oncall@example.com" } };

    // Bodies are ones the permission alone lets through: an invitation to viewer, a role or key holding only what its author holds.
    private static readonly Route[] Routes =
    [
        R("GET", "/v1/orgs", SignedIn, _ => "/v1/orgs"),
        R("GET", "/v1/auth/me", SignedIn, _ => "/v1/auth/me"),
        R("POST", "/v1/auth/logout-all", SignedIn, _ => "/v1/auth/logout-all"),
        R("POST", "/v1/auth/password", SignedIn, _ => "/v1/auth/password", _ => new { new_password = "not checked: current_password is missing" }),
        R("GET", "/v1/auth/mfa", SignedIn, _ => "/v1/auth/mfa"),
        R("POST", "/v1/auth/mfa/totp", SignedIn, _ => "/v1/auth/mfa/totp"),
        R("POST", "/v1/auth/mfa/totp/confirm", SignedIn, _ => "/v1/auth/mfa/totp/confirm", _ => new { code = "000000" }),
        R("POST", "/v1/auth/mfa/recovery_codes", SignedIn, _ => "/v1/auth/mfa/recovery_codes", _ => new { code = "000000" }),
        R("POST", "/v1/auth/mfa/disable", SignedIn, _ => "/v1/auth/mfa/disable", _ => new { password = "not checked: no MFA is set up" }),
        R("GET", "/v1/orgs/{org_id}", Member, o => $"/v1/orgs/{o.Seed.OrgId}"),
        // The org's default retention governs every project without its own: what managing projects org-wide takes.
        R("PUT", "/v1/orgs/{org_id}", Permissions.ProjectsManage, o => $"/v1/orgs/{o.Seed.OrgId}", _ => new { default_retention_days = NextRetentionDays() }),

        R("POST", "/v1/orgs/{org_id}/virtual_dataplanes", Permissions.DataplanesManage, o => $"/v1/orgs/{o.Seed.OrgId}/virtual_dataplanes", _ => new { name = "dp " + TenancyApp.Unique() }),
        R("GET", "/v1/orgs/{org_id}/virtual_dataplanes", Permissions.DataplanesRead, o => $"/v1/orgs/{o.Seed.OrgId}/virtual_dataplanes"),
        R("GET", "/v1/orgs/{org_id}/data_planes", Permissions.DataplanesManage, o => $"/v1/orgs/{o.Seed.OrgId}/data_planes"),
        R("GET", "/v1/virtual_dataplanes/{virtual_dataplane_id}", Permissions.DataplanesRead, o => $"/v1/virtual_dataplanes/{o.Seed.DataplaneId}"),
        R("PUT", "/v1/virtual_dataplanes/{virtual_dataplane_id}", Permissions.DataplanesManage, o => $"/v1/virtual_dataplanes/{o.Seed.DataplaneId}", _ => new { name = "renamed" }),
        R("DELETE", "/v1/virtual_dataplanes/{virtual_dataplane_id}", Permissions.DataplanesManage, o => $"/v1/virtual_dataplanes/{o.Objects.EmptyDataplane}"),
        R("POST", "/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", Permissions.WorkspacesManage,
            o => $"/v1/virtual_dataplanes/{o.Seed.DataplaneId}/workspaces", _ => new { name = "ws " + TenancyApp.Unique() }),
        Either("GET", "/v1/virtual_dataplanes/{virtual_dataplane_id}/workspaces", [Permissions.WorkspacesRead, Permissions.DataplanesRead],
            o => $"/v1/virtual_dataplanes/{o.Seed.DataplaneId}/workspaces"),

        R("GET", "/v1/workspaces/{workspace_id}", Permissions.WorkspacesRead, o => $"/v1/workspaces/{o.Seed.WorkspaceId}"),
        R("PUT", "/v1/workspaces/{workspace_id}", Permissions.WorkspacesManage, o => $"/v1/workspaces/{o.Seed.WorkspaceId}", _ => new { description = "changed" }),
        R("DELETE", "/v1/workspaces/{workspace_id}", Permissions.WorkspacesManage, o => $"/v1/workspaces/{o.Objects.EmptyWorkspace}"),
        R("POST", "/v1/workspaces/{workspace_id}/projects", Permissions.ProjectsManage, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/projects", _ => new { name = "new" }),
        Either("GET", "/v1/workspaces/{workspace_id}/projects", [Permissions.ProjectsRead, Permissions.WorkspacesRead], o => $"/v1/workspaces/{o.Seed.WorkspaceId}/projects"),

        R("GET", "/v1/projects/{project_id}", Permissions.ProjectsRead, o => $"/v1/projects/{o.Seed.ProjectId}"),
        R("PUT", "/v1/projects/{project_id}", Permissions.ProjectsManage, o => $"/v1/projects/{o.Seed.ProjectId}", _ => new { description = "changed" }),
        R("DELETE", "/v1/projects/{project_id}", Permissions.ProjectsManage, o => $"/v1/projects/{o.Objects.SpareProject}"),
        // Quotas protect the other projects from this one: a workspace admin sets them, not the project's own admin.
        R("GET", "/v1/projects/{project_id}/quotas", Permissions.ProjectsRead, o => $"/v1/projects/{o.Seed.ProjectId}/quotas"),
        R("PUT", "/v1/projects/{project_id}/quotas", Permissions.WorkspacesManage, o => $"/v1/projects/{o.Seed.ProjectId}/quotas", _ => new { ingest_spans_per_second = 500 }),

        R("GET", "/v1/orgs/{org_id}/members", Permissions.MembersRead, o => $"/v1/orgs/{o.Seed.OrgId}/members"),
        R("PUT", "/v1/orgs/{org_id}/members/{user_id}", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/members/{o.Objects.Member}", _ => new { role = "member" }),
        R("DELETE", "/v1/orgs/{org_id}/members/{user_id}", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/members/{o.Objects.SpareMember}"),
        R("PUT", "/v1/orgs/{org_id}/members/{user_id}/bindings", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/members/{o.Objects.Member}/bindings",
            o => new { scope_type = "project", scope_id = o.Seed.ProjectId, role = "member" }),
        R("DELETE", "/v1/orgs/{org_id}/members/{user_id}/bindings", Permissions.MembersManage,
            o => $"/v1/orgs/{o.Seed.OrgId}/members/{o.Objects.Member}/bindings?scope_type=workspace&scope_id={o.Seed.WorkspaceId}"),

        R("POST", "/v1/orgs/{org_id}/invitations", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/invitations", _ => new { email = $"i-{TenancyApp.Unique()}@example.com", role = "viewer" }),
        R("GET", "/v1/orgs/{org_id}/invitations", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/invitations"),
        R("DELETE", "/v1/orgs/{org_id}/invitations/{invitation_id}", Permissions.MembersManage, o => $"/v1/orgs/{o.Seed.OrgId}/invitations/{o.Objects.Invitation}"),

        R("GET", "/v1/orgs/{org_id}/roles", Permissions.RolesManage, o => $"/v1/orgs/{o.Seed.OrgId}/roles"),
        R("POST", "/v1/orgs/{org_id}/roles", Permissions.RolesManage, o => $"/v1/orgs/{o.Seed.OrgId}/roles", _ => new { name = "new-role", permissions = new[] { Permissions.RolesManage } }),
        R("PUT", "/v1/orgs/{org_id}/roles/{name}", Permissions.RolesManage, o => $"/v1/orgs/{o.Seed.OrgId}/roles/{OrgObjects.Role}", _ => new { description = "changed" }),
        R("DELETE", "/v1/orgs/{org_id}/roles/{name}", Permissions.RolesManage, o => $"/v1/orgs/{o.Seed.OrgId}/roles/{OrgObjects.SpareRole}"),

        R("GET", "/v1/orgs/{org_id}/audit", Permissions.AuditRead, o => $"/v1/orgs/{o.Seed.OrgId}/audit"),
        R("GET", "/v1/orgs/{org_id}/security", Permissions.SecurityManage, o => $"/v1/orgs/{o.Seed.OrgId}/security"),
        R("PUT", "/v1/orgs/{org_id}/security", Permissions.SecurityManage, o => $"/v1/orgs/{o.Seed.OrgId}/security", _ => new { require_mfa = true }),

        R("GET", "/v1/projects/{project_id}/api_keys", Permissions.KeysRead, o => $"/v1/projects/{o.Seed.ProjectId}/api_keys"),
        // An ingest key could do events:ingest in the project, so its creator must hold that too.
        R("POST", "/v1/projects/{project_id}/api_keys", Permissions.KeysManage, o => $"/v1/projects/{o.Seed.ProjectId}/api_keys",
            _ => new { name = "k", scopes = new[] { "ingest" } }, Permissions.EventsIngest),
        R("GET", "/v1/orgs/{org_id}/api_keys", Permissions.KeysRead, o => $"/v1/orgs/{o.Seed.OrgId}/api_keys"),
        R("POST", "/v1/orgs/{org_id}/api_keys", Permissions.KeysManage, o => $"/v1/orgs/{o.Seed.OrgId}/api_keys", _ => new { name = "k", permissions = new[] { Permissions.KeysManage } }),
        R("DELETE", "/v1/api_keys/{key_id}", Permissions.KeysManage, o => $"/v1/api_keys/{o.Objects.ProjectKey}"),

        R("GET", "/v1/projects/{project_id}/alerts", Permissions.AlertsRead, o => $"/v1/projects/{o.Seed.ProjectId}/alerts"),
        R("POST", "/v1/projects/{project_id}/alerts", Permissions.AlertsManage, o => $"/v1/projects/{o.Seed.ProjectId}/alerts", _ => OrgObjects.AlertBody("new")),
        R("GET", "/v1/projects/{project_id}/alerts/{alert_id}", Permissions.AlertsRead, o => $"/v1/projects/{o.Seed.ProjectId}/alerts/{o.Objects.Alert}"),
        R("PUT", "/v1/projects/{project_id}/alerts/{alert_id}", Permissions.AlertsManage, o => $"/v1/projects/{o.Seed.ProjectId}/alerts/{o.Objects.Alert}",
            _ => new { description = "changed " + TenancyApp.Unique() }),
        R("DELETE", "/v1/projects/{project_id}/alerts/{alert_id}", Permissions.AlertsManage, o => $"/v1/projects/{o.Seed.ProjectId}/alerts/{o.Objects.SpareAlert}"),
        R("GET", "/v1/projects/{project_id}/alerts/{alert_id}/triggers", Permissions.AlertsRead, o => $"/v1/projects/{o.Seed.ProjectId}/alerts/{o.Objects.Alert}/triggers"),
        // Notification channels of each scope: changing them needs notifications:manage, reading them alerts:read.
        R("POST", "/v1/orgs/{org_id}/notification_channels", Permissions.NotificationsManage, o => $"/v1/orgs/{o.Seed.OrgId}/notification_channels", _ => NewChannel),
        R("GET", "/v1/orgs/{org_id}/notification_channels", Permissions.AlertsRead, o => $"/v1/orgs/{o.Seed.OrgId}/notification_channels"),
        R("GET", "/v1/orgs/{org_id}/notification_channels/{channel_id}", Permissions.AlertsRead, o => $"/v1/orgs/{o.Seed.OrgId}/notification_channels/{o.Objects.OrgChannel}"),
        R("PUT", "/v1/orgs/{org_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/orgs/{o.Seed.OrgId}/notification_channels/{o.Objects.OrgChannel}", _ => new { name = "renamed" }),
        R("DELETE", "/v1/orgs/{org_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/orgs/{o.Seed.OrgId}/notification_channels/{o.Objects.OrgChannel}"),
        R("POST", "/v1/workspaces/{workspace_id}/notification_channels", Permissions.NotificationsManage, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/notification_channels", _ => NewChannel),
        R("GET", "/v1/workspaces/{workspace_id}/notification_channels", Permissions.AlertsRead, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/notification_channels"),
        R("GET", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", Permissions.AlertsRead, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/notification_channels/{o.Objects.WorkspaceChannel}"),
        R("PUT", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/notification_channels/{o.Objects.WorkspaceChannel}", _ => new { name = "renamed" }),
        R("DELETE", "/v1/workspaces/{workspace_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/workspaces/{o.Seed.WorkspaceId}/notification_channels/{o.Objects.WorkspaceChannel}"),
        R("POST", "/v1/projects/{project_id}/notification_channels", Permissions.NotificationsManage, o => $"/v1/projects/{o.Seed.ProjectId}/notification_channels", _ => NewChannel),
        R("GET", "/v1/projects/{project_id}/notification_channels", Permissions.AlertsRead, o => $"/v1/projects/{o.Seed.ProjectId}/notification_channels"),
        R("GET", "/v1/projects/{project_id}/notification_channels/{channel_id}", Permissions.AlertsRead, o => $"/v1/projects/{o.Seed.ProjectId}/notification_channels/{o.Objects.ProjectChannel}"),
        R("PUT", "/v1/projects/{project_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/projects/{o.Seed.ProjectId}/notification_channels/{o.Objects.ProjectChannel}", _ => new { name = "renamed" }),
        R("DELETE", "/v1/projects/{project_id}/notification_channels/{channel_id}", Permissions.NotificationsManage, o => $"/v1/projects/{o.Seed.ProjectId}/notification_channels/{o.Objects.ProjectChannel}"),
        // SSO connections: sso:manage for all; the default role a connection provisions must be one its author holds (ra: events:read).
        R("POST", "/v1/orgs/{org_id}/sso_connections", Permissions.SsoManage, o => $"/v1/orgs/{o.Seed.OrgId}/sso_connections", _ => OrgObjects.SsoConnectionBody("new idp"), Permissions.EventsRead),
        R("GET", "/v1/orgs/{org_id}/sso_connections", Permissions.SsoManage, o => $"/v1/orgs/{o.Seed.OrgId}/sso_connections"),
        R("GET", "/v1/orgs/{org_id}/sso_connections/{connection_id}", Permissions.SsoManage, o => $"/v1/orgs/{o.Seed.OrgId}/sso_connections/{o.Objects.SsoConnection}"),
        R("PUT", "/v1/orgs/{org_id}/sso_connections/{connection_id}", Permissions.SsoManage, o => $"/v1/orgs/{o.Seed.OrgId}/sso_connections/{o.Objects.SsoConnection}", _ => new { name = "renamed" }),
        R("DELETE", "/v1/orgs/{org_id}/sso_connections/{connection_id}", Permissions.SsoManage, o => $"/v1/orgs/{o.Seed.OrgId}/sso_connections/{o.Objects.SpareSsoConnection}"),

        // The legacy project routes (the SDK's, forwarded by the DP) act in the workspace ?workspace_id= names.
        R("POST", "/v1/projects/", Permissions.ProjectsManage, o => $"/v1/projects?workspace_id={o.Seed.WorkspaceId}", _ => new { name = "legacy-new" }),
        R("PUT", "/v1/projects/", Permissions.ProjectsManage, o => $"/v1/projects?workspace_id={o.Seed.WorkspaceId}", o => new { name = o.Objects.LegacyProject, description = "changed" }),
        R("DELETE", "/v1/projects/", Permissions.ProjectsManage, o => $"/v1/projects?workspace_id={o.Seed.WorkspaceId}&name={o.Objects.LegacyProject}"),
        R("POST", "/projects/", Permissions.ProjectsManage, o => $"/projects?workspace_id={o.Seed.WorkspaceId}", _ => new { name = "legacy-new" }),
        R("PUT", "/projects/", Permissions.ProjectsManage, o => $"/projects?workspace_id={o.Seed.WorkspaceId}", o => new { name = o.Objects.LegacyProject2, description = "changed" }),
        R("DELETE", "/projects/", Permissions.ProjectsManage, o => $"/projects?workspace_id={o.Seed.WorkspaceId}&name={o.Objects.LegacyProject2}"),
    ];

    /// <summary>
    /// Why the change <paramref name="user"/> just made is not audited as it must be (every change to members, roles, keys,
    /// projects and their settings), or null: an entry with the user as actor, and for a PUT a before and an after that differ.
    /// </summary>
    private async Task<string?> UnauditedAsync(Route route, Guid orgId, Guid user)
    {
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        var entries = (await Dapper.SqlMapper.QueryAsync<(string Action, string? Before, string? After)>(connection,
            "SELECT action, before::text, after::text FROM audit_log WHERE org_id = @orgId AND actor_type = 'user' AND actor_id = @user",
            new { orgId, user = user.ToString() })).ToList();
        if (entries.Count == 0) return "the change left no audit entry naming the caller";
        if (route.Method == "PUT" && !entries.Any(e => e.Before is not null && e.After is not null && e.Before != e.After))
            return $"the update's audit entries ({string.Join(", ", entries.Select(e => e.Action))}) do not hold a before and a different after";
        return null;
    }

    private static readonly Dictionary<string, (HttpStatusCode Status, string Says)> RefusedAfterAccess = new(StringComparer.Ordinal)
    {
        ["POST /v1/auth/password"] = (HttpStatusCode.BadRequest, "current_password"),
        ["POST /v1/auth/mfa/totp/confirm"] = (HttpStatusCode.Conflict, "No authenticator is being set up"),
        ["POST /v1/auth/mfa/recovery_codes"] = (HttpStatusCode.Conflict, "not set up"),
        ["POST /v1/auth/mfa/disable"] = (HttpStatusCode.Conflict, "not set up"),
    };

    private static string Cut(string body) => body.Length > 300 ? body[..300] + "…" : body;

    private static bool NeedsPermission(Route route) => route.AnyOf is not [Member] and not [SignedIn];

    [Fact]
    public void Every_authenticated_control_plane_route_has_an_expected_permission_and_every_expected_route_is_served()
    {
        var served = cp.AuthenticatedRoutes();
        var expected = Routes.Select(r => r.Key).ToList();

        Assert.True(served.Count >= 30, $"Only {served.Count} routes found: is the endpoint listing read right?");
        Assert.Equal(expected.Count, expected.Distinct(StringComparer.Ordinal).Count());
        Assert.True(!served.Except(expected).Any(), "Routes with no expected permission in PermissionMatrixTests (add them with the permission they need):\n"
            + string.Join("\n", served.Except(expected).Order(StringComparer.Ordinal)));
        Assert.True(!expected.Except(served).Any(), "Expected routes the control plane does not serve:\n" + string.Join("\n", expected.Except(served).Order(StringComparer.Ordinal)));
        Assert.All(Routes.Where(NeedsPermission).SelectMany(r => r.AnyOf.Concat(r.Also)), p => Assert.True(Permissions.IsKnown(p), p));
    }

    [Fact]
    public async Task A_member_whose_role_lacks_the_routes_permission_is_refused_with_403_naming_it_and_nothing_changes()
    {
        var seed = await cp.SeedOrgAsync();
        var org = new Org(seed, await cp.SeedObjectsAsync(seed));
        var failures = new List<string>();

        foreach (var route in Routes.Where(NeedsPermission))
        {
            // Without the permission (every alternative of it), and, for each permission needed on top, without that one.
            var lacking = new List<(string[] Missing, string[] Held)> { (route.AnyOf, [.. Permissions.All.Except(route.AnyOf)]) };
            lacking.AddRange(route.Also.Select(p => (new[] { p }, Permissions.All.Where(q => q != p).ToArray())));
            foreach (var (missing, held) in lacking)
            {
                var client = await cp.AsUserAsync(await cp.AddCustomRoleUserAsync(seed.OrgId, held));
                var before = await cp.SnapshotAsync(seed.OrgId);
                using var response = await client.SendJsonAsync(route.Method, route.Url(org), route.Body(org));
                var body = await response.Content.ReadAsStringAsync();
                var what = $"{route.Key} without '{string.Join("', '", missing)}'";
                if (response.StatusCode != HttpStatusCode.Forbidden)
                    failures.Add($"{what}: expected 403, got {(int)response.StatusCode}: {Cut(body)}");
                else if (!missing.Any(p => body.Contains($"'{p}'", StringComparison.Ordinal)))
                    failures.Add($"{what}: the refusal does not name the permission: {Cut(body)}");
                if (await cp.SnapshotAsync(seed.OrgId) != before) failures.Add($"{what}: the refused call changed the org");
            }
        }

        // Membership is the check of an org's own page: a signed-in caller of another org is told it does not exist.
        var outsider = await cp.AsUserAsync((await cp.SeedOrgAsync()).OwnerId);
        foreach (var route in Routes.Where(r => r.AnyOf is [Member]))
        {
            using var response = await outsider.SendJsonAsync(route.Method, route.Url(org), route.Body(org));
            if (response.StatusCode != HttpStatusCode.NotFound) failures.Add($"{route.Key} by a non-member: expected 404, got {(int)response.StatusCode}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task A_member_whose_custom_role_holds_exactly_the_routes_permission_succeeds_and_the_change_is_audited()
    {
        var failures = new List<string>();
        foreach (var route in Routes)
        {
            foreach (var permission in route.AnyOf)
            {
                // Each call on an org of its own: an allowed call changes it (deletes the spare objects, renames).
                var seed = await cp.SeedOrgAsync();
                var org = new Org(seed, await cp.SeedObjectsAsync(seed));
                var user = NeedsPermission(route)
                    ? await cp.AddCustomRoleUserAsync(seed.OrgId, [permission, .. route.Also])
                    : await cp.AddUserAsync(seed.OrgId, role: null); // a member holding nothing at all
                var client = await cp.AsUserAsync(user);
                using var response = await client.SendJsonAsync(route.Method, route.Url(org), route.Body(org));
                var body = await response.Content.ReadAsStringAsync();
                output.WriteLine($"{route.Key} with only '{permission}': {(int)response.StatusCode}");

                // Some signed-in routes refuse the body after the caller was let through: the password change its missing
                // current_password, the MFA routes a user who has set nothing up (409).
                var passed = RefusedAfterAccess.TryGetValue(route.Key, out var refusal)
                    ? response.StatusCode == refusal.Status && body.Contains(refusal.Says, StringComparison.Ordinal)
                    : response.IsSuccessStatusCode;
                if (!passed) failures.Add($"{route.Key} with only '{string.Join("', '", [permission, .. route.Also])}': got {(int)response.StatusCode}: {Cut(body)}");
                else if (NeedsPermission(route) && route.Method != "GET" && await UnauditedAsync(route, seed.OrgId, user) is { } gap) failures.Add($"{route.Key}: {gap}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures));
    }
}
