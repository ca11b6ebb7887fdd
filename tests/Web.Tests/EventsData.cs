using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.Web.Tests;

/// <summary>
/// Set-up for the events, dashboard and dataset tests through the data plane's own API (with the project key):
/// waiting until sent spans are searchable, since those pages read once on load rather than polling, and the
/// filters those pages take in their URL.
/// </summary>
public static class EventsData
{
    /// <summary>Waits until the session's events are searchable (all of them: the session event and one per span).</summary>
    public static async Task WaitForSessionAsync(WebUi web, string sessionId, int events)
    {
        using var client = web.Client(web.DataPlaneApi, web.ApiKey);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var seen = 0;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative),
                new { filters = new[] { Is("session_id", sessionId) }, limit = 100 });
            if (response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                seen = body.GetProperty("events").GetArrayLength();
                if (seen >= events) return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Session {sessionId} has {seen} of {events} events searchable after 60 s.");
    }

    /// <summary>
    /// A project made through the control plane for this test, once the data plane answers for it (the control plane
    /// tells the data plane of a new project asynchronously; until then its routes answer 404 "Project not found").
    /// </summary>
    public static async Task<string> NewProjectAsync(WebUi web, string name)
    {
        var projectId = await web.CreateProjectAsync(name);
        using var client = web.Client(web.DataPlaneApi, await web.AdminTokenAsync());
        client.DefaultRequestHeaders.Add("x-hh-project-id", projectId);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri("/v1/events/schema", UriKind.Relative));
            if (response.IsSuccessStatusCode) return projectId;
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            await Task.Delay(250);
        }
        throw new TimeoutException($"The data plane did not answer for project {projectId} within 60 s (last: {last}).");
    }

    public static object Is(string field, string value) => new Dictionary<string, object> { ["field"] = field, ["operator"] = "is", ["value"] = value, ["type"] = "string" };

    public static object Contains(string field, string value) =>
        new Dictionary<string, object> { ["field"] = field, ["operator"] = "contains", ["value"] = value, ["type"] = "string" };

    /// <summary>Filters as the pages read them from ?filters=.</summary>
    public static string Query(params object[] filters) => Uri.EscapeDataString(JsonSerializer.Serialize(filters));

    /// <summary>A short random tag, so a test's names and models match only its own data.</summary>
    public static string Tag() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>What the UI's proxy answers when the data plane does not (app/api/[plane]/[...path]/route.ts).</summary>
    public const string DataPlaneUnreachable =
        """{"type":"about:blank","title":"Data plane unreachable","status":502,"detail":"The data plane at http://127.0.0.1:1 did not answer. Is the platform running (./hh status)?"}""";
}
