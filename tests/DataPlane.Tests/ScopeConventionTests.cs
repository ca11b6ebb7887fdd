using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// The permission machinery with project API keys, through the production handler over a migrated dpdb: a route under
/// <see cref="PermissionEndpointExtensions.RequireDeclaredPermissions"/> that forgets its permission is closed to every
/// key, a key's scopes grant the permissions <see cref="Permissions.ForKeyScopes"/> says, unknown scope strings grant
/// nothing, and refusals name the permission and the scope that grants it without echoing the key.
/// </summary>
public sealed class ScopeConventionTests : IAsyncLifetime
{
    private static readonly ApiKeyIdentity Project = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "scope-convention", []);
    private readonly Dictionary<string, string> keys = new(StringComparer.Ordinal);
    private FreshDpdb database = null!;
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_scopes_", [Project]);
        foreach (var (name, scopes) in new (string, string[])[]
                 {
                     ("admin", [ApiScopes.Admin]), ("read", [ApiScopes.Read]), ("every", [.. ApiScopes.All]),
                     ("unknown", ["Read", "superuser", "read ", "*"]),
                 })
        {
            var key = ApiKeys.Generate();
            keys[name] = key;
            await using var insert = database.DataSource.CreateCommand("INSERT INTO api_keys (id, project_id, key_hash, scopes) VALUES ($1, $2, $3, $4)");
            insert.Parameters.AddWithValue(Guid.NewGuid());
            insert.Parameters.AddWithValue(Project.ProjectId);
            insert.Parameters.AddWithValue(ApiKeys.Hash(key));
            insert.Parameters.AddWithValue(scopes);
            await insert.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:dpdb"] = database.ConnectionString;
        builder.Services.AddProblemDetails();
        builder.AddDataPlaneAuthentication();
        app = builder.Build();
        var group = app.MapGroup("").RequireDeclaredPermissions();
        group.MapGet("/declared-read", () => TypedResults.Ok("read")).RequirePermission(Permissions.DatasetsRead);
        group.MapGet("/declared-admin", () => TypedResults.Ok("admin")).RequirePermission(Permissions.SecretsManage);
        group.MapGet("/control-plane-only", () => TypedResults.Ok("cp")).RequirePermission(Permissions.MembersManage);
        group.MapGet("/bare-authorization", () => TypedResults.Ok("bare")).RequireAuthorization();
        group.MapGet("/nothing-declared", () => TypedResults.Ok("nothing"));
        group.MapGet("/checked-by-handler", () => TypedResults.Ok("handler")).PermissionCheckedByHandler(Permissions.EventsIngest);
        await app.StartAsync();
    }

    [Theory]
    [InlineData("/bare-authorization")]
    [InlineData("/nothing-declared")]
    public async Task A_route_that_declares_no_permission_is_refused_even_to_a_key_with_every_scope(string path)
    {
        var (status, problem) = await GetAsync(path, "every");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("declares no permission", problem!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_control_plane_permission_is_refused_to_every_project_key_and_the_refusal_says_so()
    {
        var (status, problem) = await GetAsync("/control-plane-only", "every");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(Permissions.MembersManage, problem!["required_permission"]!.GetValue<string>());
        Assert.Null(problem["required_scope"]);
    }

    [Fact]
    public async Task A_declared_permission_admits_keys_whose_scopes_grant_it_and_refuses_the_others()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/declared-read", "read")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/declared-read", "admin")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/declared-admin", "admin")).Status);

        var (status, problem) = await GetAsync("/declared-admin", "read");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("admin", problem!["required_scope"]!.GetValue<string>());
        Assert.Equal(Permissions.SecretsManage, problem["required_permission"]!.GetValue<string>());
        Assert.DoesNotContain(keys["read"], problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_or_miscased_scope_strings_grant_nothing()
    {
        var (status, problem) = await GetAsync("/declared-read", "unknown");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("read", problem!["required_scope"]!.GetValue<string>());
        Assert.Equal(new[] { "read", "write", "admin" }, problem["accepted_scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task A_route_whose_handler_checks_the_permission_is_left_to_its_handler()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/checked-by-handler", key: null)).Status);
    }

    [Fact]
    public async Task A_key_naming_another_project_in_the_project_header_is_404_and_its_own_project_is_fine()
    {
        using var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keys["every"]);

        using var other = new HttpRequestMessage(HttpMethod.Get, new Uri("/declared-read", UriKind.Relative));
        other.Headers.Add(DataPlaneAuthenticator.ProjectHeader, Guid.NewGuid().ToString());
        using var refused = await client.SendAsync(other);
        using var own = new HttpRequestMessage(HttpMethod.Get, new Uri("/declared-read", UriKind.Relative));
        own.Headers.Add(DataPlaneAuthenticator.ProjectHeader, Project.ProjectId.ToString());
        using var accepted = await client.SendAsync(own);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("Project not found", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_request_without_a_key_is_unauthorized_not_forbidden()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/declared-read", key: null)).Status);
    }

    [Fact]
    public void Declaring_a_permission_that_does_not_exist_fails_when_the_route_is_mapped()
    {
        var group = app.MapGroup("/typo");
        Assert.Throws<ArgumentException>(() => group.MapGet("/x", () => "x").RequirePermission("events:reads"));
        Assert.Throws<ArgumentException>(() => group.MapGet("/y", () => "y").PermissionCheckedByHandler("ingest"));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Problem)> GetAsync(string path, string? key)
    {
        using var client = app.GetTestClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keys[key]);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.StatusCode == HttpStatusCode.OK || text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }
}
