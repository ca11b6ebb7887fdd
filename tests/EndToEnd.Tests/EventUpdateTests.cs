using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>PUT /events and PUT /v1/events/{event_id}: through the message log and the Writer to the read API.</summary>
public sealed class EventUpdateTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task Both_update_routes_merge_into_the_stored_event_and_the_latest_update_wins_on_read()
    {
        using var client = host.Client(host.DataPlaneApi, host.ApiKey);
        var created = await SendAsync(client, HttpMethod.Post, "/v1/events",
            """{"event_type":"model","event_name":"answer","inputs":{},"config":{"model":"gpt-4o-mini"},"outputs":{"content":"draft","role":"assistant"},"metadata":{"keep":"me"}}""");
        Assert.True(created.Status == HttpStatusCode.OK, created.Body?.ToJsonString());
        var eventId = created.Body!["event_id"]!.GetValue<string>();
        await EventAsync(client, eventId, e => e is not null);

        var v1 = await SendAsync(client, HttpMethod.Put, $"/v1/events/{eventId}",
            """{"feedback":{"rating":4},"outputs":{"content":"final"},"metrics":{"accuracy":0.75},"ignored_field":1}""");
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        var legacy = await SendAsync(client, HttpMethod.Put, "/events",
            $$"""{"event_id":"{{eventId}}","feedback":{"comment":"good"},"metadata":{"reviewed":true},"duration":42}""");
        Assert.Equal(HttpStatusCode.OK, legacy.Status);

        var stored = await EventAsync(client, eventId, e => e?["feedback"]?["comment"] is not null);
        Assert.Equal(4, stored!["feedback"]!["rating"]!.GetValue<int>());
        Assert.Equal("good", stored["feedback"]!["comment"]!.GetValue<string>());
        Assert.Equal("final", stored["outputs"]!["content"]!.GetValue<string>());
        Assert.Null(stored["outputs"]!["role"]);
        Assert.Equal(0.75, stored["metrics"]!["accuracy"]!.GetValue<double>());
        Assert.True(stored["metadata"]!["reviewed"]!.GetValue<bool>());
        Assert.Equal("me", stored["metadata"]!["keep"]!.GetValue<string>());
        Assert.Equal(42, stored["duration"]!.GetValue<double>());
        Assert.Equal("gpt-4o-mini", stored["config"]!["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/events", """{"feedback":{"rating":1}}""", "'event_id' is required")]
    [InlineData("/v1/events/{id}", """{"outputs":"text"}""", "'outputs' must be a JSON object or null")]
    [InlineData("/v1/events/{id}", """{"metadata":[1,2]}""", "'metadata' must be a JSON object")]
    [InlineData("/v1/events/{id}", """{"duration":"long"}""", "'duration' must be a number")]
    [InlineData("/v1/events/{id}", """[1]""", "JSON object")]
    public async Task A_bad_update_is_refused_with_a_problem_naming_the_field(string path, string body, string expected)
    {
        using var client = host.Client(host.DataPlaneApi, host.ApiKey);
        var response = await SendAsync(client, HttpMethod.Put, path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(expected, response.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_without_a_key_is_refused()
    {
        using var client = host.Client(host.DataPlaneApi);
        var response = await SendAsync(client, HttpMethod.Put, $"/v1/events/{Guid.NewGuid()}", """{"feedback":{"rating":1}}""");
        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
    }

    private static async Task<(HttpStatusCode Status, JsonObject? Body)> SendAsync(HttpClient client, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    private static async Task<JsonObject?> EventAsync(HttpClient client, string eventId, Func<JsonObject?, bool> done)
    {
        JsonObject? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["event"]!.AsObject();
                if (done(last)) return last;
            }
            await Task.Delay(250);
        }

        Assert.Fail($"The event never matched; last read: {last?.ToJsonString() ?? "none"}");
        return null;
    }
}
