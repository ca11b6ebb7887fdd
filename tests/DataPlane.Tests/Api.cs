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

    public static async Task<JsonElement> SearchAsync(this HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.PostAsJsonAsync("/v1/events/search", body)).ReadJsonAsync(expected);

    public static string[] Ids(this JsonElement page, string property = "events") =>
        page.GetProperty(property).EnumerateArray().Select(e => e.GetProperty("event_id").GetString()!).ToArray();
}
