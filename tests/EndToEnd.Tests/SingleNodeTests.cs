using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>The single-node platform as `./hh up` runs it: one Host process, every module, real servers.</summary>
public sealed class SingleNodeTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task Both_apis_answer_health_with_every_dependency_checked()
    {
        foreach (var api in new[] { host.DataPlaneApi, host.ControlPlaneApi })
        {
            using var client = host.Client(api);
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var checks = body.GetProperty("checks").EnumerateObject().Select(c => c.Name).ToHashSet();
            Assert.Superset(new HashSet<string> { "cpdb", "dpdb", "nats", "redis", "analytics", "objectstore", "controlplane-link" }, checks);
            Assert.All(body.GetProperty("checks").EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
        }
    }

    [Fact]
    public async Task The_bootstrap_file_is_private_and_its_key_opens_the_data_plane()
    {
        var bootstrap = host.ReadBootstrap();
        var key = bootstrap.GetProperty("api_key").GetString()!;
        using var authorized = host.Client(host.DataPlaneApi, key);
        using var stranger = host.Client(host.DataPlaneApi, "hh_not-a-real-key-at-all-000000000000");

        using var projects = await authorized.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        using var refused = await stranger.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        var refusal = await refused.Content.ReadAsStringAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.BootstrapPath));
        Assert.Equal(HttpStatusCode.OK, projects.StatusCode);
        var project = Assert.Single(JsonDocument.Parse(await projects.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Equal(bootstrap.GetProperty("project_id").GetString(), project.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("hh_not-a-real-key", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_plane_routes_do_not_answer_on_the_control_plane_port()
    {
        var key = host.ReadBootstrap().GetProperty("api_key").GetString()!;
        using var client = host.Client(host.ControlPlaneApi, key);

        using var response = await client.GetAsync(new Uri("/v1/projects", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
