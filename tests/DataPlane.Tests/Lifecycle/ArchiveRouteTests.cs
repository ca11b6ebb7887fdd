using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Lifecycle;

/// <summary>POST /v1/projects/{project_id}/archive/restore: auth, tenancy, bad ranges, and a restore through the route.</summary>
public sealed class ArchiveRouteTests : IAsyncLifetime
{
    private LifecycleHarness h = null!;
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        h = await LifecycleHarness.CreateAsync(new FileSystemObjectStore(
            Path.Combine(TestServers.DataDirectory, "lifecycle-objects", Guid.NewGuid().ToString("N")), NullLogger<FileSystemObjectStore>.Instance));
        await h.ProjectAsync(30, Tenants.LifecycleA.ProjectId);
        await h.ProjectAsync(30, Tenants.LifecycleB.ProjectId);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["Lifecycle:MaxRestoreDays"] = "31";
        builder.Services.AddKeyedSingleton(DataPlaneApiModule.Database, h.DataSource);
        builder.Services.AddSingleton(h.Store);
        builder.Services.AddSingleton(h.Objects);
        builder.Services.AddSingleton<TimeProvider>(h.Clock);
        builder.AddLifecycle(sweep: false);
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapArchiveApi();
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await h.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> RestoreAsync(string? key, Guid project, string body)
    {
        var client = app.GetTestClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri($"/v1/projects/{project}/archive/restore", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task The_route_restores_the_callers_archive_once()
    {
        var project = Tenants.LifecycleA.ProjectId;
        await h.InsertEventsAsync(project, [new DateTimeOffset(2026, 2, 1, 10, 0, 0, TimeSpan.Zero)]);
        var before = await h.RowsAsync(project);
        await h.Sweeper.SweepAsync(CancellationToken.None);

        var (status, body) = await RestoreAsync("key-lifecycle-a", project, """{"from":"2026-02-01","to":"2026-02-02"}""");
        var (againStatus, again) = await RestoreAsync("key-lifecycle-a", project, """{"from":"2026-02-01","to":"2026-02-01"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!["rows_restored"]!.GetValue<long>());
        Assert.Equal(["restored", "not_archived"], body["days"]!.AsArray().Select(d => d!["status"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal(0, again!["rows_restored"]!.GetValue<long>());
        Assert.Equal("already_restored", again["days"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(before, await h.RowsAsync(project));
    }

    [Fact]
    public async Task No_key_is_401_and_a_read_only_key_is_403()
    {
        var project = Tenants.LifecycleA.ProjectId;
        var range = """{"from":"2026-02-01","to":"2026-02-01"}""";

        Assert.Equal(HttpStatusCode.Unauthorized, (await RestoreAsync(null, project, range)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await RestoreAsync("key-lifecycle-reader", project, range)).Status);
    }

    [Fact]
    public async Task Another_projects_archive_and_an_unknown_project_are_404_and_load_nothing()
    {
        var other = Tenants.LifecycleB.ProjectId;
        await h.InsertEventsAsync(other, [new DateTimeOffset(2026, 2, 1, 10, 0, 0, TimeSpan.Zero)]);
        await h.Sweeper.SweepAsync(CancellationToken.None);
        var range = """{"from":"2026-02-01","to":"2026-02-01"}""";

        var foreign = await RestoreAsync("key-lifecycle-a", other, range);
        var unknown = await RestoreAsync("key-lifecycle-a", Guid.NewGuid(), range);

        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Empty(await h.RowsAsync(other));
    }

    [Theory]
    [InlineData("""{"from":"2026-02-03","to":"2026-02-01"}""", "from", "after to")]
    [InlineData("""{"from":"2026-01-01","to":"2026-03-01"}""", "to", "at most 31 days")]
    [InlineData("""{"from":"2026-02-30","to":"2026-03-01"}""", "from", "yyyy-MM-dd")]
    [InlineData("""{"from":"2026-02-01"}""", "to", "required")]
    [InlineData("""{"from":"2026-02-01","to":"2026-02-01","project":"x"}""", "project", "Unknown field")]
    [InlineData("""[1]""", "body", "JSON object")]
    public async Task A_bad_range_is_a_400_naming_the_field(string body, string field, string says)
    {
        var (status, problem) = await RestoreAsync("key-lifecycle-a", Tenants.LifecycleA.ProjectId, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var messages = problem!["errors"]![field]!.AsArray().Select(m => m!.GetValue<string>());
        Assert.Contains(messages, m => m.Contains(says, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_project_missing_from_this_data_plane_is_a_404()
    {
        await using (var delete = h.DataSource.CreateCommand("DELETE FROM projects WHERE id = $1"))
        {
            delete.Parameters.AddWithValue(Tenants.LifecycleA.ProjectId);
            await delete.ExecuteNonQueryAsync();
        }

        var (status, problem) = await RestoreAsync("key-lifecycle-a", Tenants.LifecycleA.ProjectId, """{"from":"2026-02-01","to":"2026-02-01"}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("not found", problem!["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }
}
