using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests;

internal static class Api
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>POST /v1/events/search; a body without dateRange gets <see cref="SeedData.AllTime"/> (the route's default is the last 7 days).</summary>
    public static async Task<JsonElement> SearchAsync(this HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var json = JsonSerializer.SerializeToNode(body)!.AsObject();
        if (!json.ContainsKey("dateRange")) json["dateRange"] = JsonSerializer.SerializeToNode(SeedData.AllTime);
        return await (await client.PostAsJsonAsync("/v1/events/search", json)).ReadJsonAsync(expected);
    }

    public static string[] Ids(this JsonElement page, string property = "events") =>
        page.GetProperty(property).EnumerateArray().Select(e => e.GetProperty("event_id").GetString()!).ToArray();
}
