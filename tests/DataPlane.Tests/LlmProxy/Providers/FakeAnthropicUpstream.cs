using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>
/// Anthropic's Messages API written for the tests (<c>POST /v1/messages</c>): it refuses what the real API refuses
/// (a missing or wrong x-api-key, another anthropic-version, no max_tokens, roles that do not alternate, OpenAI-only
/// fields, unknown block types) with Anthropic's error body, and answers with the documented message and event-stream
/// shapes. By default it echoes the last user text.
/// </summary>
public sealed class FakeAnthropicUpstream : IAsyncDisposable
{
    public const string ApiKey = "sk-ant-test-0123456789";

    private static readonly HashSet<string> TopLevel =
        ["model", "max_tokens", "messages", "system", "tools", "tool_choice", "stop_sequences", "temperature", "top_p", "top_k", "metadata", "stream"];

    private FakeProviderServer server = null!;

    public string BaseUrl => server.BaseUrl;

    public static async Task<FakeAnthropicUpstream> StartAsync()
    {
        var fake = new FakeAnthropicUpstream();
        fake.server = await FakeProviderServer.StartAsync((app, _) => app.MapPost("/v1/messages", fake.MessagesAsync));
        return fake;
    }

    public void Script(string model, params Func<HttpContext, JsonObject, Task>[] answers) => server.Script(model, answers);

    public IReadOnlyList<ProviderRequest> RequestsFor(string model) => server.RequestsFor(model);

    private async Task MessagesAsync(HttpContext context)
    {
        var (body, model, scripted) = await server.ReceiveAsync(context);
        if (context.Request.Headers["x-api-key"] != ApiKey)
        {
            await Error(401, "authentication_error", "invalid x-api-key")(context, body);
            return;
        }
        if (Problem(context, body) is { } problem)
        {
            await Error(400, "invalid_request_error", problem)(context, body);
            return;
        }
        if (scripted is not null)
        {
            await scripted(context, body);
            return;
        }
        var lastUser = body["messages"]!.AsArray().Last(m => m!["role"]!.ToString() == "user")!["content"]!;
        var text = "echo: " + (lastUser is JsonArray blocks ? blocks.Where(b => b!["type"]!.ToString() == "text").Select(b => b!["text"]!.ToString()).LastOrDefault() : lastUser.ToString());
        if (body["stream"]?.GetValue<bool>() == true) await StreamAsync(context, TextEvents(model, text.Split(' ').Select((w, i) => (i == 0 ? "" : " ") + w)));
        else await context.Response.WriteAsJsonAsync(Message(model, [Text(text)], "end_turn"));
    }

    /// <summary>What the real API would refuse with 400 in a request our adapter sent, described.</summary>
    private static string? Problem(HttpContext context, JsonObject body)
    {
        if (context.Request.Headers["anthropic-version"] != "2023-06-01") return "anthropic-version header must be 2023-06-01";
        if (!(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal)) return "content-type must be application/json";
        if (body.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k)) is { } unknown) return $"{unknown}: Extra inputs are not permitted";
        if (body["model"]?.GetValueKind() != JsonValueKind.String) return "model: Field required";
        if (body["max_tokens"] is not JsonValue max || !max.TryGetValue<int>(out var tokens) || tokens < 1) return "max_tokens: Field required";
        if (body["messages"] is not JsonArray { Count: > 0 } messages) return "messages: Field required";
        string? previous = null;
        foreach (var message in messages)
        {
            var role = message?["role"]?.ToString();
            if (role is not ("user" or "assistant")) return $"messages: Unexpected role \"{role}\"";
            if (role == previous) return "messages: roles must alternate between \"user\" and \"assistant\"";
            if (previous is null && role != "user") return "messages: first message must use the \"user\" role";
            previous = role;
            if (message!["content"] is JsonArray content && content.Select(BlockProblem).FirstOrDefault(p => p is not null) is { } problem) return problem;
        }
        if (body["system"] is JsonArray system && system.Any(b => b?["type"]?.ToString() != "text" || b["text"]?.ToString() is null or "")) return "system: text blocks only";
        if (body["tools"] is JsonArray tools && tools.Any(t => t?["name"] is null || t["input_schema"] is not JsonObject)) return "tools: name and input_schema required";
        if (body["tool_choice"] is JsonObject choice && choice["type"]?.ToString() is not ("auto" or "any" or "tool" or "none")) return "tool_choice.type";
        if (body["stop_sequences"] is { } stop && (stop is not JsonArray list || list.Any(s => s?.GetValueKind() != JsonValueKind.String))) return "stop_sequences: list of strings";
        return null;
    }

    private static string? BlockProblem(JsonNode? block) => block?["type"]?.ToString() switch
    {
        "text" => block["text"]?.ToString() is null or "" ? "text content blocks must be non-empty" : null,
        "image" => block["source"]?["type"]?.ToString() switch
        {
            "base64" when block["source"]!["media_type"] is not null && block["source"]!["data"] is not null => null,
            "url" when block["source"]!["url"] is not null => null,
            _ => "image.source must be base64 (media_type, data) or url",
        },
        "tool_use" => block["id"] is null || block["name"] is null || block["input"] is not JsonObject ? "tool_use needs id, name and an input object" : null,
        "tool_result" => block["tool_use_id"] is null ? "tool_result needs tool_use_id" : null,
        var type => $"unknown content block type {type}",
    };

    public static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    public static JsonObject ToolUse(string id, string name, JsonObject input) => new() { ["type"] = "tool_use", ["id"] = id, ["name"] = name, ["input"] = input };

    /// <summary>A message as the API answers one (the documented response shape).</summary>
    public static JsonObject Message(string model, JsonArray content, string stopReason, int inputTokens = 25, int outputTokens = 12) => new()
    {
        ["id"] = "msg_01XFDUDYJgAACzvnptvVoYEL",
        ["type"] = "message",
        ["role"] = "assistant",
        ["content"] = content,
        ["model"] = model,
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = null,
        ["usage"] = new JsonObject { ["input_tokens"] = inputTokens, ["output_tokens"] = outputTokens },
    };

    public static Func<HttpContext, JsonObject, Task> Answer(JsonObject message) => (context, _) => context.Response.WriteAsJsonAsync(message);

    /// <summary>An error answer in Anthropic's shape, with retry-after when given.</summary>
    public static Func<HttpContext, JsonObject, Task> Error(int status, string type, string message, int? retryAfterSeconds = null) =>
        async (context, _) =>
        {
            context.Response.StatusCode = status;
            if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["type"] = "error",
                ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
            });
        };

    public static Func<HttpContext, JsonObject, Task> Stream(IEnumerable<JsonObject> events) => (context, _) => StreamAsync(context, events);

    /// <summary>Each event as the API sends it: its type as the SSE event name and the whole object as data.</summary>
    public static async Task StreamAsync(HttpContext context, IEnumerable<JsonObject> events)
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var data in events) await FakeProviderServer.WriteEventAsync(context, data["type"]!.ToString(), data);
    }

    /// <summary>The documented event sequence of a text answer, with a ping after the block starts.</summary>
    public static List<JsonObject> TextEvents(string model, IEnumerable<string> pieces, string stopReason = "end_turn")
    {
        var events = new List<JsonObject>
        {
            MessageStart(model),
            new() { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = Text("") },
            new() { ["type"] = "ping" },
        };
        events.AddRange(pieces.Select(p => new JsonObject
        {
            ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = p },
        }));
        events.Add(new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        events.AddRange(End(stopReason, 15));
        return events;
    }

    public static JsonObject MessageStart(string model) => new()
    {
        ["type"] = "message_start",
        ["message"] = new JsonObject
        {
            ["id"] = "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
            ["type"] = "message",
            ["role"] = "assistant",
            ["content"] = new JsonArray(),
            ["model"] = model,
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = 25, ["output_tokens"] = 1 },
        },
    };

    public static IEnumerable<JsonObject> End(string stopReason, int outputTokens) =>
    [
        new() { ["type"] = "message_delta", ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null }, ["usage"] = new JsonObject { ["output_tokens"] = outputTokens } },
        new() { ["type"] = "message_stop" },
    ];

    public async ValueTask DisposeAsync() => await server.DisposeAsync();
}
