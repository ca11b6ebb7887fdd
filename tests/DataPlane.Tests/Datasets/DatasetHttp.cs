using System.Net;
using System.Text;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Datasets;

internal static class DatasetHttp
{
    public static async Task<JsonElement> SendJsonAsync(
        this HttpClient client, HttpMethod method, string url, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return await response.ReadJsonAsync(expected);
    }

    public static Task<JsonElement> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendJsonAsync(HttpMethod.Get, url, null, expected);

    public static Task<JsonElement> PostJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendJsonAsync(HttpMethod.Post, url, body, expected);

    public static Task<JsonElement> PutJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendJsonAsync(HttpMethod.Put, url, body, expected);

    public static Task<JsonElement> DeleteJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendJsonAsync(HttpMethod.Delete, url, null, expected);

    public static async Task<string> CreateDatasetAsync(this HttpClient client, object body)
    {
        var created = await client.PostJsonAsync("/v1/datasets", body);
        Assert.True(created.GetProperty("inserted").GetBoolean());
        return created.GetProperty("result").GetProperty("insertedId").GetString()!;
    }

    public static async Task<string> CreateDatapointAsync(this HttpClient client, object body)
    {
        var created = await client.PostJsonAsync("/v1/datapoints", body);
        return created.GetProperty("result").GetProperty("insertedIds")[0].GetString()!;
    }

    public static async Task<JsonElement> DatasetAsync(this HttpClient client, string id) =>
        Assert.Single((await client.GetJsonAsync($"/v1/datasets?dataset_id={id}")).GetProperty("datasets").EnumerateArray());

    public static async Task<JsonElement> DatapointAsync(this HttpClient client, string id) =>
        Assert.Single((await client.GetJsonAsync($"/v1/datapoints/{id}")).GetProperty("datapoint").EnumerateArray());

    public static string[] Strings(this JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>A 400 validation problem whose errors name <paramref name="field"/>.</summary>
    public static void AssertNames(this JsonElement problem, string field)
    {
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.True(errors.Contains(field), $"Expected an error for '{field}', got: {problem}");
    }
}
