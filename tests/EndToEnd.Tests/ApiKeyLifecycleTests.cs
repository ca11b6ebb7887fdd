using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// The Host with the default sync interval and key cache (the HostProcess default speeds the sync up): keys made
/// and revoked through the control plane's routes take effect on the data plane within 5 s, their last use comes
/// back to the CP's list, and the legacy project routes on the DP's base URL are answered by the CP.
/// </summary>
public sealed class KeysHost : HostProcess
{
    public KeysHost()
    {
        ExtraEnvironment["Controller__Sync__Interval"] = "00:00:01";
    }

    /// <summary>A control-plane key (hh_fgcp_) on the bootstrap org with every permission, inserted as an operator would.</summary>
    public string ControlPlaneKey { get; private set; } = "";

    public string OrgId => ReadBootstrap().GetProperty("org_id").GetString()!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ControlPlaneKey = "hh_fgcp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        await using var cpdb = new NpgsqlConnection(CpdbConnectionString);
        await cpdb.OpenAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO api_keys (id, kind, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes, expires_at)
            VALUES ($1, 'control_plane', $2, 'org', $2, 'e2e operator', $3, $4, $5, now() + interval '1 day')
            """, cpdb);
        foreach (var value in new object[] { Guid.NewGuid(), Guid.Parse(OrgId), ControlPlaneKey[..12], ApiKeys.Hash(ControlPlaneKey), Permissions.All.ToArray() })
            insert.Parameters.Add(new NpgsqlParameter { Value = value });
        await insert.ExecuteNonQueryAsync();
    }
}

public sealed class ApiKeyLifecycleTests(KeysHost host) : IClassFixture<KeysHost>
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_key_created_on_the_control_plane_works_on_the_data_plane_within_5_s_and_is_refused_within_5_s_of_its_revocation()
    {
        using var operatorClient = host.Client(host.ControlPlaneApi, host.ControlPlaneKey);
        var (created, body) = await SendAsync(operatorClient, HttpMethod.Post, $"/v1/projects/{host.ProjectId}/api_keys", new { name = "e2e", scopes = new[] { "read" } });
        var sinceCreated = Stopwatch.StartNew();
        Assert.True(created == HttpStatusCode.Created, body);
        var json = JsonNode.Parse(body)!;
        var key = json["key"]!.GetValue<string>();
        using var dp = host.Client(host.DataPlaneApi, key);

        await Eventually.ValueAsync(() => StatusAsync(dp, "/v1/projects"), s => s == HttpStatusCode.OK,
            "the new key to work on the data plane", Remaining(sinceCreated));

        var (revoked, revokeBody) = await SendAsync(operatorClient, HttpMethod.Delete, $"/v1/api_keys/{json["id"]!.GetValue<string>()}");
        var sinceRevoked = Stopwatch.StartNew();
        Assert.True(revoked == HttpStatusCode.OK, revokeBody);

        await Eventually.ValueAsync(() => StatusAsync(dp, "/v1/projects"), s => s == HttpStatusCode.Unauthorized,
            "the revoked key to be refused by the data plane", Remaining(sinceRevoked));
    }

    [Fact]
    public async Task A_key_used_on_the_data_plane_shows_its_last_used_time_in_the_control_plane_list()
    {
        using var operatorClient = host.Client(host.ControlPlaneApi, host.ControlPlaneKey);
        var (_, body) = await SendAsync(operatorClient, HttpMethod.Post, $"/v1/projects/{host.ProjectId}/api_keys", new { name = "used", scopes = new[] { "read" } });
        var json = JsonNode.Parse(body)!;
        var id = json["id"]!.GetValue<string>();
        using var dp = host.Client(host.DataPlaneApi, json["key"]!.GetValue<string>());
        await Eventually.ValueAsync(() => StatusAsync(dp, "/v1/projects"), s => s == HttpStatusCode.OK, "the key to work on the data plane");

        var listed = await Eventually.ValueAsync(
            async () => JsonNode.Parse((await SendAsync(operatorClient, HttpMethod.Get, $"/v1/projects/{host.ProjectId}/api_keys")).Body)!
                .AsArray().Single(k => k!["id"]!.GetValue<string>() == id)!,
            k => k["last_used_at"] is not null, "the key's use on the data plane to show as last_used_at on the control plane", TimeSpan.FromSeconds(30));

        Assert.InRange(listed["last_used_at"]!.GetValue<DateTimeOffset>(), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task A_key_is_refused_by_the_data_plane_once_it_expires()
    {
        using var operatorClient = host.Client(host.ControlPlaneApi, host.ControlPlaneKey);
        var (created, body) = await SendAsync(operatorClient, HttpMethod.Post, $"/v1/projects/{host.ProjectId}/api_keys",
            new { name = "short-lived", scopes = new[] { "read" }, expires_at = DateTimeOffset.UtcNow.AddSeconds(6) });
        Assert.True(created == HttpStatusCode.Created, body);
        using var dp = host.Client(host.DataPlaneApi, JsonNode.Parse(body)!["key"]!.GetValue<string>());

        await Eventually.ValueAsync(() => StatusAsync(dp, "/v1/projects"), s => s == HttpStatusCode.OK, "the key to work before it expires", Budget);
        await Eventually.ValueAsync(() => StatusAsync(dp, "/v1/projects"), s => s == HttpStatusCode.Unauthorized, "the expired key to be refused", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_control_plane_key_is_refused_by_the_data_plane()
    {
        using var dp = host.Client(host.DataPlaneApi, host.ControlPlaneKey);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(dp, "/v1/projects"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(dp, "/v1/datasets"));
    }

    [Theory]
    [InlineData("/v1/projects")]
    [InlineData("/projects")]
    public async Task The_legacy_project_routes_on_the_data_plane_create_rename_and_delete_through_the_control_plane(string route)
    {
        using var dp = host.Client(host.DataPlaneApi, host.ApiKey);
        var name = "sdk-" + Guid.NewGuid().ToString("N")[..8];

        var (created, body) = await SendAsync(dp, HttpMethod.Post, route, new { name, description = "from the SDK" });
        Assert.True(created == HttpStatusCode.OK, body);
        var project = JsonNode.Parse(body)!;
        Assert.Equal(name, project["name"]!.GetValue<string>());
        Assert.Equal(host.OrgId, project["org_id"]!.GetValue<string>());

        var (renamed, renamedBody) = await SendAsync(dp, HttpMethod.Put, route, new { name, new_name = name + "-v2" });
        Assert.True(renamed == HttpStatusCode.OK, renamedBody);
        Assert.Equal(name + "-v2", JsonNode.Parse(renamedBody)!["name"]!.GetValue<string>());

        var (conflict, conflictBody) = await SendAsync(dp, HttpMethod.Post, route, new { name = name + "-v2" });
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("name", JsonNode.Parse(conflictBody)!["field"]!.GetValue<string>());

        var (deleted, deletedBody) = await SendAsync(dp, HttpMethod.Delete, $"{route}?name={name}-v2");
        Assert.True(deleted == HttpStatusCode.OK, deletedBody);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(dp, HttpMethod.Delete, $"{route}?name={name}-v2")).Status);
    }

    [Fact]
    public async Task The_legacy_routes_refuse_a_key_without_admin_and_unknown_credentials_through_the_data_plane()
    {
        using var operatorClient = host.Client(host.ControlPlaneApi, host.ControlPlaneKey);
        var (_, body) = await SendAsync(operatorClient, HttpMethod.Post, $"/v1/projects/{host.ProjectId}/api_keys", new { name = "writer", scopes = new[] { "ingest", "read", "write" } });
        using var writer = host.Client(host.DataPlaneApi, JsonNode.Parse(body)!["key"]!.GetValue<string>());
        using var nobody = host.Client(host.DataPlaneApi, "hh_" + Guid.NewGuid().ToString("N"));
        using var anonymous = host.Client(host.DataPlaneApi);

        var (refused, refusal) = await SendAsync(writer, HttpMethod.Post, "/v1/projects", new { name = "not-by-a-writer" });
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("'admin' scope", refusal, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(nobody, HttpMethod.Post, "/v1/projects", new { name = "x" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(anonymous, HttpMethod.Delete, "/projects?name=x")).Status);
    }

    [Fact]
    public async Task Deleting_a_project_through_the_legacy_route_stops_its_keys_on_the_data_plane_within_5_s()
    {
        using var dp = host.Client(host.DataPlaneApi, host.ApiKey);
        var name = "short-" + Guid.NewGuid().ToString("N")[..8];
        var (_, body) = await SendAsync(dp, HttpMethod.Post, "/v1/projects", new { name });
        var projectId = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        using var operatorClient = host.Client(host.ControlPlaneApi, host.ControlPlaneKey);
        var (_, keyBody) = await SendAsync(operatorClient, HttpMethod.Post, $"/v1/projects/{projectId}/api_keys", new { name = "k", scopes = new[] { "read" } });
        using var projectKey = host.Client(host.DataPlaneApi, JsonNode.Parse(keyBody)!["key"]!.GetValue<string>());
        await Eventually.ValueAsync(() => StatusAsync(projectKey, "/v1/projects"), s => s == HttpStatusCode.OK, "the new project's key to work", Budget);

        var (deleted, deletedBody) = await SendAsync(dp, HttpMethod.Delete, $"/v1/projects?name={name}");
        var sinceDeleted = Stopwatch.StartNew();
        Assert.True(deleted == HttpStatusCode.OK, deletedBody);

        await Eventually.ValueAsync(() => StatusAsync(projectKey, "/v1/projects"), s => s == HttpStatusCode.Unauthorized,
            "the deleted project's key to be refused", Remaining(sinceDeleted));
    }

    private static TimeSpan Remaining(Stopwatch since) => Budget - since.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
