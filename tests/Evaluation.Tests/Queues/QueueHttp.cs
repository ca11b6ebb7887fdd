using System.Net;
using System.Text.Json.Nodes;

namespace HoneyHive.Evaluation.Tests.Queues;

/// <summary>Calls of the queue routes and their answers as JSON.</summary>
public static class QueueHttp
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = QueuesFixture.Json(body);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Sends and requires <paramref name="expected"/>, showing the body when it differs.</summary>
    public static async Task<JsonNode> ExpectAsync(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        var (status, answer) = await SendAsync(client, method, path, body);
        Assert.True(status == expected, $"{method} {path}: {(int)status} {answer?.ToJsonString()}");
        return answer!;
    }

    /// <summary>The fields a 400 problem names.</summary>
    public static async Task<IReadOnlyList<string>> ErrorFieldsAsync(HttpClient client, HttpMethod method, string path, object? body)
    {
        var answer = await ExpectAsync(client, method, path, body, HttpStatusCode.BadRequest);
        return answer["errors"] is JsonObject errors ? [.. errors.Select(e => e.Key).Order(StringComparer.Ordinal)] : [];
    }

    public static async Task<string> CreateQueueAsync(HttpClient client, object body) =>
        (await ExpectAsync(client, HttpMethod.Post, "/v1/queues", body, HttpStatusCode.Created))["queue"]!["id"]!.GetValue<string>();
}
