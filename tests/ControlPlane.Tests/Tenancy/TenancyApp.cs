using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>A seeded org: its data plane, workspace and project, and its owner.</summary>
public sealed record SeededOrg(Guid OrgId, Guid DataplaneId, Guid WorkspaceId, Guid ProjectId, Guid OwnerId);

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

    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string? json) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json") });
}
