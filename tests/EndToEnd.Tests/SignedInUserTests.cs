using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// The README's walk-through on the single-node Host, with real control-plane tokens verified by the data plane
/// through the CP's JWKS: the admin signs in and reads the DP with the token, creates a project key that works on the
/// DP, invites a viewer who signs up and can read but not write, and the legacy project route forwarded by the DP
/// accepts the admin's token.
/// </summary>
public sealed class SignedInUserTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task A_signed_in_admin_reads_the_data_plane_with_a_token_and_creates_a_key_that_works_there()
    {
        var token = await LoginAsync(host.ReadBootstrap().GetProperty("admin_email").GetString()!, host.ReadBootstrap().GetProperty("admin_password").GetString()!);
        using var dataPlane = host.Client(host.DataPlaneApi, token);

        // No x-hh-project-id: the admin's token reaches one project, the bootstrap one.
        var projects = await OkJsonAsync(await dataPlane.GetAsync(new Uri("/v1/projects", UriKind.Relative)));
        Assert.Equal(host.ProjectId, Assert.Single(projects.AsArray())!["id"]!.GetValue<string>());

        using var controlPlane = host.Client(host.ControlPlaneApi, token);
        using var created = await controlPlane.PostAsJsonAsync(new Uri($"/v1/projects/{host.ProjectId}/api_keys", UriKind.Relative),
            new { name = "ci", scopes = new[] { "ingest", "read" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonNode>())!["key"]!.GetValue<string>();

        using var withKey = host.Client(host.DataPlaneApi, key);
        var status = await Eventually.ValueAsync(
            async () => (await withKey.GetAsync(new Uri("/v1/projects", UriKind.Relative))).StatusCode,
            s => s == HttpStatusCode.OK, "the new key to work on the data plane", TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task An_invited_viewer_signs_up_reads_with_a_token_and_is_refused_a_write_naming_the_permission()
    {
        var bootstrap = host.ReadBootstrap();
        var adminToken = await LoginAsync(bootstrap.GetProperty("admin_email").GetString()!, bootstrap.GetProperty("admin_password").GetString()!);
        using var admin = host.Client(host.ControlPlaneApi, adminToken);
        var email = $"viewer-{Guid.NewGuid():N}@example.com";
        using var invited = await admin.PostAsJsonAsync(new Uri($"/v1/orgs/{bootstrap.GetProperty("org_id").GetString()}/invitations", UriKind.Relative),
            new { email, role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        var invitation = (await invited.Content.ReadFromJsonAsync<JsonNode>())!;
        var acceptToken = (invitation["data"] ?? invitation)["accept_token"]!.GetValue<string>();

        using var anonymous = host.Client(host.ControlPlaneApi);
        using var accepted = await anonymous.PostAsJsonAsync(new Uri("/v1/invitations/accept", UriKind.Relative),
            new { token = acceptToken, name = "Vera Viewer", password = "a long enough passphrase" });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        using var viewer = host.Client(host.DataPlaneApi, await LoginAsync(email, "a long enough passphrase"));
        // An org-wide viewer reaches every project of the org (other tests add some): it names the one it means.
        viewer.DefaultRequestHeaders.Add("x-hh-project-id", host.ProjectId);
        await OkJsonAsync(await viewer.GetAsync(new Uri("/v1/projects", UriKind.Relative)));
        using var write = await viewer.PostAsJsonAsync(new Uri("/v1/datasets", UriKind.Relative), new { name = "not-allowed" });
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("datasets:write", (await write.Content.ReadFromJsonAsync<JsonNode>())!["required_permission"]!.GetValue<string>());

        // A project the viewer's grants do not reach answers as if it did not exist.
        using var elsewhere = host.Client(host.DataPlaneApi, await LoginAsync(email, "a long enough passphrase"));
        elsewhere.DefaultRequestHeaders.Add("x-hh-project-id", Guid.NewGuid().ToString());
        using var hidden = await elsewhere.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task The_legacy_project_route_on_the_data_plane_accepts_a_signed_in_admins_token()
    {
        var bootstrap = host.ReadBootstrap();
        using var dataPlane = host.Client(host.DataPlaneApi,
            await LoginAsync(bootstrap.GetProperty("admin_email").GetString()!, bootstrap.GetProperty("admin_password").GetString()!));
        var name = "legacy-" + Guid.NewGuid().ToString("N")[..8];

        var project = await OkJsonAsync(await dataPlane.PostAsJsonAsync(new Uri("/v1/projects", UriKind.Relative), new { name }));

        Assert.Equal(name, project["name"]!.GetValue<string>());
        Assert.Equal(bootstrap.GetProperty("workspace_id").GetString(), project["workspace_id"]!.GetValue<string>());
    }

    private async Task<string> LoginAsync(string email, string password)
    {
        using var client = host.Client(host.ControlPlaneApi);
        var body = await OkJsonAsync(await client.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new { email, password }));
        return body["access_token"]!.GetValue<string>();
    }

    private static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)!;
        }
    }
}
