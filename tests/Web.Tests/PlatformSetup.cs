using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.Web.Tests;

/// <summary>Test set-up through the control plane and data plane APIs, as the bootstrap admin (what a test does not click through).</summary>
public static class PlatformSetup
{
    public static async Task<JsonElement> CpAsync(this WebUi web, HttpMethod method, string path, object? body = null)
    {
        using var client = web.Client(web.ControlPlaneApi, await web.AdminTokenAsync());
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<JsonElement> CpGetAsync(this WebUi web, string path) => web.CpAsync(HttpMethod.Get, path);

    /// <summary>The project key of the bootstrap project (all scopes), for data-plane set-up.</summary>
    public static async Task<JsonElement> DpAsync(this WebUi web, HttpMethod method, string path, object? body = null)
    {
        using var client = web.Client(web.DataPlaneApi, web.ApiKey);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A new project (the fixture's <see cref="WebUi.CreateProjectAsync"/>), returned once the data plane answers for it.</summary>
    public static async Task<string> CreateSyncedProjectAsync(this WebUi web, string name)
    {
        var id = await web.CreateProjectAsync(name);
        // The controller syncs new projects to the data plane; pages of the project call it at once.
        var token = await web.AdminTokenAsync();
        await Eventually.ValueAsync(async () =>
        {
            using var client = web.Client(web.DataPlaneApi, token);
            client.DefaultRequestHeaders.Add("x-hh-project-id", id);
            using var response = await client.GetAsync(new Uri("/v1/configurations", UriKind.Relative));
            return (int)response.StatusCode;
        }, status => status == 200, $"the data plane to know project {id}", TimeSpan.FromSeconds(60));
        return id;
    }

    /// <summary>A user invited with <paramref name="role"/> on a scope, who accepted through the API; returns their sign-in.</summary>
    public static async Task<(string Email, string Password)> CreateUserAsync(this WebUi web, string role, string scopeType, string scopeId)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        const string password = "a password long enough";
        var invitation = await web.CpAsync(HttpMethod.Post, $"/v1/orgs/{web.OrgId}/invitations", new { email, role, scope_type = scopeType, scope_id = scopeId });
        using var client = web.Client(web.ControlPlaneApi);
        using var response = await client.PostAsJsonAsync(new Uri("/v1/invitations/accept", UriKind.Relative),
            new { token = invitation.GetProperty("data").GetProperty("accept_token").GetString(), name = "Test User", password });
        response.EnsureSuccessStatusCode();
        return (email, password);
    }

    /// <summary>The org's member with this email, as the control plane lists it.</summary>
    public static async Task<JsonElement> MemberAsync(this WebUi web, string email)
    {
        var members = await web.CpGetAsync($"/v1/orgs/{web.OrgId}/members");
        return members.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("email").GetString() == email);
    }
}
