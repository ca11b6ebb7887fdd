using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Authentication;
using HoneyHive.Platform.Security;
using Microsoft.AspNetCore.TestHost;

namespace HoneyHive.ControlPlane.Tests.Keys;

/// <summary>
/// The key tests' control plane: <see cref="TokenSignedControlPlane"/> with the bootstrap org, workspace, project, owner
/// and key at hand.
/// </summary>
public sealed class KeysApp : TokenSignedControlPlane
{
    public Guid OrgId { get; private set; }
    public Guid WorkspaceId { get; private set; }
    public Guid ProjectId { get; private set; }
    public string BootstrapKey { get; private set; } = "";
    public Guid OwnerId { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        OrgId = Guid.Parse(Bootstrap["org_id"]!.GetValue<string>());
        WorkspaceId = Guid.Parse(Bootstrap["workspace_id"]!.GetValue<string>());
        ProjectId = Guid.Parse(Bootstrap["project_id"]!.GetValue<string>());
        BootstrapKey = Bootstrap["api_key"]!.GetValue<string>();
        await using var connection = await Cpdb.OpenConnectionAsync();
        OwnerId = await connection.ExecuteScalarAsync<Guid>("SELECT user_id FROM org_members WHERE org_id = @OrgId AND role = 'owner'", new { OrgId });
    }

    /// <summary>A client sending <paramref name="bearer"/> (an access token or an API key), or nothing.</summary>
    public HttpClient Client(string? bearer)
    {
        var client = App.GetTestClient();
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>An access token for <paramref name="userId"/>; the CP reads the user's grants live from cpdb, not from it.</summary>
    public string Token(Guid userId) => Tokens.Mint(userId, []);

    public HttpClient As(Guid userId) => Client(Token(userId));

    /// <summary>A user who is a member of <paramref name="orgId"/> (the bootstrap org by default) with an org-wide role (or none) and role bindings.</summary>
    public async Task<Guid> UserAsync(string? orgRole, Guid? orgId = null, params (string Scope, Guid Id, string Role)[] bindings)
    {
        var id = Guid.CreateVersion7();
        var org = orgId ?? OrgId;
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password_hash) VALUES (@id, @email, 'x')", new { id, email = $"u-{id:N}@example.com" });
        await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role) VALUES (@org, @id, @orgRole)", new { org, id, orgRole });
        foreach (var (scope, scopeId, role) in bindings)
        {
            await connection.ExecuteAsync(
                "INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@bid, @org, @id, @role, @scope, @scopeId)",
                new { bid = Guid.NewGuid(), org, id, role, scope, scopeId });
        }
        return id;
    }

    public async Task CustomRoleAsync(string name, params string[] permissions)
    {
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO custom_roles (id, org_id, name, permissions) VALUES (@id, @OrgId, @name, @permissions)",
            new { id = Guid.NewGuid(), OrgId, name, permissions });
    }

    /// <summary>Another org with a data plane, a workspace and a project (or another workspace and project in <paramref name="orgId"/>).</summary>
    public async Task<(Guid OrgId, Guid WorkspaceId, Guid ProjectId)> TenantAsync(Guid? orgId = null)
    {
        var org = orgId ?? Guid.CreateVersion7();
        var dataplane = Guid.CreateVersion7();
        var workspace = Guid.CreateVersion7();
        var project = Guid.CreateVersion7();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        await using var connection = await Cpdb.OpenConnectionAsync();
        if (orgId is null) await connection.ExecuteAsync("INSERT INTO orgs (id, name) VALUES (@org, @name)", new { org, name = "org-" + suffix });
        await connection.ExecuteAsync("INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES (@dataplane, @org, 'dp', @slug)",
            new { dataplane, org, slug = "vdp-" + suffix });
        await connection.ExecuteAsync("INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES (@workspace, @org, @dataplane, @name, @slug)",
            new { workspace, org, dataplane, name = "ws-" + suffix, slug = "ws-" + suffix });
        await connection.ExecuteAsync("INSERT INTO projects (id, workspace_id, name) VALUES (@project, @workspace, @name)",
            new { project, workspace, name = "project-" + suffix });
        return (org, workspace, project);
    }

    /// <summary>A control-plane key inserted as an admin tool would (hh_fgcp_, hashed), with its permissions on an org or workspace.</summary>
    public async Task<(Guid Id, string Key)> ControlPlaneKeyAsync(string[] permissions, Guid? orgId = null, string scopeType = "org", Guid? scopeId = null, DateTimeOffset? expiresAt = null)
    {
        var key = ControlPlaneKeyDirectory.ControlPlanePrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var id = Guid.CreateVersion7();
        var org = orgId ?? OrgId;
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, kind, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes, expires_at)
            VALUES (@id, 'control_plane', @org, @scopeType, @scopeId, 'test cp key', @prefix, @hash, @permissions, @expiresAt)
            """,
            new { id, org, scopeType, scopeId = scopeId ?? org, prefix = key[..12], hash = ApiKeys.Hash(key), permissions, expiresAt = expiresAt?.UtcDateTime });
        return (id, key);
    }

    /// <summary>A project key inserted directly with <paramref name="scopes"/>.</summary>
    public async Task<(Guid Id, string Key)> ProjectKeyAsync(Guid projectId, params string[] scopes)
    {
        var key = ApiKeys.Generate();
        var id = Guid.CreateVersion7();
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes) VALUES (@id, @projectId, 'test key', @prefix, @hash, @scopes)",
            new { id, projectId, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), scopes });
        return (id, key);
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body, string Text)> SendAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (body is not null) request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && text[0] is '{' or '[') json = JsonNode.Parse(text);
        return (response.StatusCode, json, text);
    }
}
