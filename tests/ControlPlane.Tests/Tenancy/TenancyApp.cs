using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>A seeded org: its data plane, workspace and project, and its owner.</summary>
public sealed record SeededOrg(Guid OrgId, Guid DataplaneId, Guid WorkspaceId, Guid ProjectId, Guid OwnerId);

/// <summary>
/// What the route matrices act on in one seeded org, made by its owner through the routes: an empty data plane and
/// workspace and a spare project (each deletable), a viewer with a workspace binding and a spare viewer, two pending
/// invitations, the custom roles <see cref="Role"/> and <see cref="SpareRole"/>, a project key, and two projects for
/// the legacy routes (one per prefix).
/// </summary>
public sealed record OrgObjects(
    Guid EmptyDataplane, Guid EmptyWorkspace, Guid SpareProject, Guid Member, Guid SpareMember, Guid Invitation, Guid SpareInvitation,
    Guid ProjectKey, string LegacyProject, string LegacyProject2, Guid Alert, Guid SpareAlert, Guid OrgChannel, Guid WorkspaceChannel, Guid ProjectChannel,
    Guid SsoConnection, Guid SpareSsoConnection)
{
    /// <summary>A valid alert body (an email to the project's members: no URL to allow).</summary>
    public static object AlertBody(string name) => new
    {
        name,
        frequency = "HOURLY",
        alert_type = "AGGREGATE",
        aggregation = "P95",
        thresholds = new { critical = new { @operator = "greater_than", value = 1000 }, resolved = new { @operator = "less_than", value = 800 } },
        filters = new[] { new { field = "event_type", @operator = "is", value = "model", type = "string" } },
        projections = new[] { "duration" },
        notification_details = new
        {
            critical = new { channel = "EMAIL", scope = "ALL_PROJECT_MEMBERS", metadata = new { } },
            resolved = new { channel = "EMAIL", scope = "ALL_PROJECT_MEMBERS", metadata = new { } },
        },
    };

    /// <summary>
    /// A valid OIDC connection on a unique email domain, provisioning into <see cref="Role"/>. The issuer is a public
    /// address literal (TEST-NET-3): the SSRF guard passes it without a DNS lookup, and nothing ever calls it.
    /// </summary>
    public static object SsoConnectionBody(string name) => new
    {
        protocol = "oidc",
        name,
        email_domains = new[] { $"{TenancyApp.Unique()}.example.com" },
        default_role = Role,
        config = new { issuer = "https://203.0.113.7/oidc", client_id = "honeyhive" },
        client_secret = "a client secret " + TenancyApp.Unique(),
    };

    public const string Role = "ra";
    public const string SpareRole = "rdel";
}

/// <summary>The tenancy, member and role tests' control plane: <see cref="TokenSignedControlPlane"/> with an invitation page to link to.</summary>
public sealed class TenancyApp : TokenSignedControlPlane
{
    protected override void Configure(Microsoft.Extensions.Configuration.ConfigurationManager configuration) =>
        configuration["Invitations:AcceptUrl"] = "https://hh.example/accept";

    public HttpClient Anonymous() => App.GetTestClient();

    /// <summary>A client signed in as <paramref name="userId"/> (grants in the token as the CP would mint them; the CP re-reads them anyway).</summary>
    public async Task<HttpClient> AsUserAsync(Guid userId)
    {
        var grants = await App.Services.GetRequiredService<GrantResolver>().ForUserAsync(userId, CancellationToken.None);
        var client = App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Mint(userId, grants));
        return client;
    }

    /// <summary>A client holding a new control-plane key of <paramref name="orgId"/> with <paramref name="permissions"/> on a scope.</summary>
    public async Task<HttpClient> AsKeyAsync(Guid orgId, string scopeType, Guid scopeId, params string[] permissions)
    {
        var key = "hh_fgcp_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, kind, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes)
            VALUES (@id, 'control_plane', @orgId, @scopeType, @scopeId, 'test', 'hh_fgcp_', @hash, @permissions)
            """, new { id = Guid.NewGuid(), orgId, scopeType, scopeId, hash = ApiKeys.Hash(key), permissions });
        var client = App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>An org with one data plane, workspace and project, and its owner.</summary>
    public async Task<SeededOrg> SeedOrgAsync(string? name = null)
    {
        var (org, dataplane, workspace, project) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO orgs (id, name) VALUES (@org, @name);
            INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES (@dataplane, @org, 'main', @dpSlug);
            INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES (@workspace, @org, @dataplane, 'team', @wsSlug);
            INSERT INTO projects (id, workspace_id, name) VALUES (@project, @workspace, 'app');
            """, new { org, name = name ?? "Org " + org.ToString("N")[..6], dataplane, workspace, project, dpSlug = "dp_" + dataplane.ToString("N"), wsSlug = "ws_" + workspace.ToString("N") });
        var owner = await AddUserAsync(org, BuiltInRoles.Owner);
        return new SeededOrg(org, dataplane, workspace, project, owner);
    }

    /// <summary>A user who is a member of <paramref name="orgId"/> with an org-wide <paramref name="role"/> (null: none) and optional bindings.</summary>
    public async Task<Guid> AddUserAsync(Guid orgId, string? role, params (string ScopeType, Guid ScopeId, string Role)[] bindings)
    {
        var user = Guid.NewGuid();
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO users (id, email, password_hash, name) VALUES (@user, @email, 'x', 'Test User')",
            new { user, email = EmailOf(user) });
        await AddMembershipAsync(orgId, user, role, bindings);
        return user;
    }

    public async Task AddMembershipAsync(Guid orgId, Guid user, string? role, params (string ScopeType, Guid ScopeId, string Role)[] bindings)
    {
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role) VALUES (@orgId, @user, @role)", new { orgId, user, role });
        foreach (var b in bindings)
        {
            await connection.ExecuteAsync(
                "INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @orgId, @user, @Role, @ScopeType, @ScopeId)",
                new { id = Guid.NewGuid(), orgId, user, b.Role, b.ScopeType, b.ScopeId });
        }
    }

    /// <summary>
    /// A new member of <paramref name="orgId"/> whose org-wide role is a new custom role holding exactly
    /// <paramref name="permissions"/> (written to cpdb directly: the routes would refuse a role its author lacks).
    /// </summary>
    public async Task<Guid> AddCustomRoleUserAsync(Guid orgId, IEnumerable<string> permissions)
    {
        var role = "r" + Guid.NewGuid().ToString("N")[..16];
        await ExecuteAsync("INSERT INTO custom_roles (id, org_id, name, permissions) VALUES (@id, @orgId, @role, @permissions)",
            new { id = Guid.NewGuid(), orgId, role, permissions = permissions.ToArray() });
        return await AddUserAsync(orgId, role);
    }

    /// <summary>The <see cref="OrgObjects"/> of <paramref name="org"/>, made by its owner.</summary>
    public async Task<OrgObjects> SeedObjectsAsync(SeededOrg org)
    {
        var owner = await AsUserAsync(org.OwnerId);
        static Guid Id(JsonNode node) => Guid.Parse(node["id"]!.GetValue<string>());
        var emptyDataplane = Id(await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/virtual_dataplanes", new { name = "empty " + Unique() })).DataAsync());
        var emptyWorkspace = Id(await (await owner.PostJsonAsync($"/v1/virtual_dataplanes/{org.DataplaneId}/workspaces", new { name = "empty " + Unique() })).DataAsync());
        var spareProject = Id(await (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = "spare" })).DataAsync());
        var member = await AddUserAsync(org.OrgId, BuiltInRoles.Viewer, ("workspace", org.WorkspaceId, BuiltInRoles.Viewer));
        var spareMember = await AddUserAsync(org.OrgId, BuiltInRoles.Viewer);
        var invitation = Id(await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = $"i-{Unique()}@example.com", role = "viewer" })).DataAsync(System.Net.HttpStatusCode.Created));
        var spareInvitation = Id(await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = $"i-{Unique()}@example.com", role = "viewer" })).DataAsync(System.Net.HttpStatusCode.Created));
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = OrgObjects.Role, permissions = new[] { "events:read" } })).EnsureSuccessStatusCode();
        (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/roles", new { name = OrgObjects.SpareRole, permissions = new[] { "events:read" } })).EnsureSuccessStatusCode();
        var key = Guid.Parse((await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/api_keys", new { name = "a-key", scopes = new[] { "read" } })).Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>());
        const string LegacyProject = "legacy-a", LegacyProject2 = "legacy-a2";
        (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = LegacyProject })).EnsureSuccessStatusCode();
        (await owner.PostJsonAsync($"/v1/workspaces/{org.WorkspaceId}/projects", new { name = LegacyProject2 })).EnsureSuccessStatusCode();
        var alert = Id(await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", OrgObjects.AlertBody("latency"))).DataAsync());
        var spareAlert = Id(await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/alerts", OrgObjects.AlertBody("spare"))).DataAsync());
        async Task<Guid> ChannelAsync(string scope, Guid scopeId) => Guid.Parse((await (await owner.PostJsonAsync($"/v1/{scope}/{scopeId}/notification_channels",
            new { name = "team mail", kind = "EMAIL", emails = new[] { "team@example.com" } })).DataAsync(System.Net.HttpStatusCode.Created))["channel"]!["id"]!.GetValue<string>());
        var orgChannel = await ChannelAsync("orgs", org.OrgId);
        var workspaceChannel = await ChannelAsync("workspaces", org.WorkspaceId);
        var projectChannel = await ChannelAsync("projects", org.ProjectId);
        var ssoConnection = Id(await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/sso_connections", OrgObjects.SsoConnectionBody("idp"))).DataAsync(System.Net.HttpStatusCode.Created));
        var spareSsoConnection = Id(await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/sso_connections", OrgObjects.SsoConnectionBody("spare idp"))).DataAsync(System.Net.HttpStatusCode.Created));
        return new OrgObjects(emptyDataplane, emptyWorkspace, spareProject, member, spareMember, invitation, spareInvitation, key, LegacyProject, LegacyProject2,
            alert, spareAlert, orgChannel, workspaceChannel, projectChannel, ssoConnection, spareSsoConnection);
    }

    /// <summary>A short unique token for names (data plane and workspace slugs are unique across orgs).</summary>
    public static string Unique() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>Every route that needs an authenticated caller, as "METHOD pattern", read from the app's endpoint data sources.</summary>
    public IReadOnlySet<string> AuthenticatedRoutes() => Routes(authenticated: true);

    /// <summary>Every route open to anyone (no authorization, or AllowAnonymous), as "METHOD pattern".</summary>
    public IReadOnlySet<string> AnonymousRoutes() => Routes(authenticated: false);

    private HashSet<string> Routes(bool authenticated) =>
        ((IEndpointRouteBuilder)App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => (e.Metadata.GetMetadata<IAuthorizeData>() is not null && e.Metadata.GetMetadata<IAllowAnonymous>() is null) == authenticated)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Everything of an org that a route could change, and its audit log, as one text.</summary>
    public async Task<string> SnapshotAsync(Guid orgId)
    {
        var text = new System.Text.StringBuilder();
        foreach (var sql in new[]
        {
            "SELECT row_to_json(t)::text FROM orgs t WHERE id = @orgId",
            "SELECT row_to_json(t)::text FROM virtual_dataplanes t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM workspaces t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM projects t WHERE workspace_id IN (SELECT id FROM workspaces WHERE org_id = @orgId) ORDER BY id",
            "SELECT row_to_json(t)::text FROM org_members t WHERE org_id = @orgId ORDER BY user_id",
            "SELECT row_to_json(t)::text FROM role_bindings t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM invitations t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM custom_roles t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM audit_log t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM alerts t WHERE project_id IN (SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.org_id = @orgId) ORDER BY id",
            "SELECT row_to_json(t)::text FROM notification_channels t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM sso_connections t WHERE org_id = @orgId ORDER BY id",
            "SELECT row_to_json(t)::text FROM sso_email_domains t WHERE connection_id IN (SELECT id FROM sso_connections WHERE org_id = @orgId) ORDER BY domain",
            // last_used_at moves when a key is used, by anyone: the columns a caller could change are the rest.
            "SELECT row_to_json(t)::text FROM (SELECT id, kind, name, scopes, scope_type, scope_id, expires_at, revoked_at FROM api_keys WHERE org_id = @orgId ORDER BY id) t",
        })
        {
            await using var connection = await Cpdb.OpenConnectionAsync();
            foreach (var row in await connection.QueryAsync<string>(sql, new { orgId })) text.AppendLine(row);
        }
        return text.ToString();
    }

    public static string EmailOf(Guid user) => $"user-{user:N}@example.com";

    public async Task<T?> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Cpdb.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}

/// <summary>Reading answers of the CP routes.</summary>
public static class Answers
{
    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    public static async Task<JsonNode> DataAsync(this HttpResponseMessage response, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.True(body["success"]!.GetValue<bool>());
        return body["data"]!;
    }

    /// <summary>Asserts a problem answer with <paramref name="status"/> naming <paramref name="field"/> (when given).</summary>
    public static async Task<JsonObject> ProblemAsync(this HttpResponseMessage response, int status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        if (field is not null) Assert.Equal(field, body["field"]?.GetValue<string>());
        return body;
    }

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) => client.PutAsJsonAsync(url, body);

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) => client.PostAsJsonAsync(url, body);

    /// <summary>Sends <paramref name="method"/> to <paramref name="url"/> with <paramref name="body"/> as JSON (none when null).</summary>
    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, string method, string url, object? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null) request.Content = JsonContent.Create(body);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string? json) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json") });
}
