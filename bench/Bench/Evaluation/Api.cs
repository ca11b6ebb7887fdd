using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Bench.Evaluation;

/// <summary>The DP API calls `bench eval` makes, with the answer parsed and any failure thrown with its body.</summary>
public static class Api
{
    public static async Task<JsonNode?> SendAsync(HttpClient http, HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 1000)]}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public static Task<JsonNode?> GetAsync(HttpClient http, string path, CancellationToken ct) => SendAsync(http, HttpMethod.Get, path, null, ct);

    /// <summary>The search API's count of the project's current events matching every filter.</summary>
    public static async Task<long> CountAsync(HttpClient http, JsonObject[] filters, CancellationToken ct)
    {
        var answer = await SendAsync(http, HttpMethod.Post, "/v1/events/search", new JsonObject { ["filters"] = new JsonArray(filters), ["limit"] = 1 }, ct);
        return answer!["count"]!.GetValue<long>();
    }
}
