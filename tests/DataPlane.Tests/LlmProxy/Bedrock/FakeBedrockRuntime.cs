using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

/// <summary>
/// A Bedrock Runtime server written for the tests (Kestrel on loopback) speaking its documented wire format:
/// <c>POST /model/{modelId}/converse</c> (JSON), <c>/converse-stream</c> (binary event stream) and <c>/invoke</c> (Titan
/// embeddings). Every request's SigV4 signature is verified against the known keys (403 InvalidSignatureException
/// otherwise) and every Converse body is checked as Bedrock checks it (400 ValidationException). A test scripts the
/// answers for a model id with <see cref="Script"/>; otherwise the model echoes the last user text.
/// One server for the test process, started on first use, so the proxy fixture only points the kind at it.
/// </summary>
public sealed class FakeBedrockRuntime
{
    public const string Region = "us-east-1";
    public const string AccessKeyId = "AKIAFAKEBEDROCK00001";
    public const string SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY01";
    public const string TemporaryKeyId = "ASIAFAKEBEDROCK00002";
    public const string TemporarySecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbFAKEKEY02";
    public const string SessionToken = "IQoJb3JpZ2luX2VjEFAKE//session+token/with=padding==";

    private static readonly Lazy<FakeBedrockRuntime> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, BedrockRequest, Task>>> scripts = new();
    private readonly SigV4Verifier verifier = new(new Dictionary<string, (string, string?)>
    {
        [AccessKeyId] = (SecretAccessKey, null),
        [TemporaryKeyId] = (TemporarySecret, SessionToken),
    }, Region, "bedrock");

    private FakeBedrockRuntime()
    {
    }

    public static FakeBedrockRuntime Shared => Instance.Value;

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<BedrockRequest> Requests { get; } = new();

    public IEnumerable<BedrockRequest> RequestsFor(string modelId) => Requests.Where(r => r.ModelId == modelId);

    /// <summary>The next calls for <paramref name="modelId"/> are answered by these handlers, in order.</summary>
    public void Script(string modelId, params Func<HttpContext, BedrockRequest, Task>[] answers)
    {
        var queue = scripts.GetOrAdd(modelId, _ => new ConcurrentQueue<Func<HttpContext, BedrockRequest, Task>>());
        foreach (var answer in answers) queue.Enqueue(answer);
    }

    private static FakeBedrockRuntime Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeBedrockRuntime();
        app.Run(fake.HandleAsync);
        app.Start();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        // Routed on the raw request line: the model id is one percent-encoded segment, ':' and '/' included.
        var rawPath = context.Features.Get<IHttpRequestFeature>()!.RawTarget.Split('?')[0];
        var segments = rawPath.Split('/');
        if (context.Request.Method != "POST" || segments.Length != 4 || segments[1] != "model" || segments[3] is not ("converse" or "converse-stream" or "invoke"))
        {
            await ErrorAsync(context, 404, "UnknownOperationException", $"No operation at {context.Request.Method} {rawPath}.");
            return;
        }

        var verdict = verifier.Verify(context, body);
        var request = new BedrockRequest(rawPath, Uri.UnescapeDataString(segments[2]), segments[3],
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            body.Length > 0 ? JsonNode.Parse(body) as JsonObject ?? [] : [], verdict);
        Requests.Enqueue(request);
        if (!verdict.Valid)
        {
            await ErrorAsync(context, 403, verdict.ErrorType!, verdict.Message);
            return;
        }
        if (request.Operation != "invoke" && ConverseShape.Problem(request.Body) is { } problem)
        {
            await ErrorAsync(context, 400, "ValidationException", problem);
            return;
        }

        context.Response.Headers["x-amzn-RequestId"] = "req-" + Requests.Count;
        if (scripts.TryGetValue(request.ModelId, out var queue) && queue.TryDequeue(out var answer))
        {
            await answer(context, request);
            return;
        }
        switch (request.Operation)
        {
            case "converse":
                await context.Response.WriteAsJsonAsync(Converse(new JsonObject { ["text"] = "echo: " + LastUserText(request.Body) }, "end_turn"));
                break;
            case "converse-stream":
                await StreamAsync(context, TextEvents("echo: " + LastUserText(request.Body)));
                break;
            default:
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["embedding"] = new JsonArray(0.25, -0.5, (request.Body["inputText"]?.ToString().Length ?? 0) / 100.0),
                    ["inputTextTokenCount"] = request.Body["inputText"]?.ToString().Split(' ').Length ?? 0,
                });
                break;
        }
    }

    public static string LastUserText(JsonObject converse) =>
        (converse["messages"] as JsonArray)?.LastOrDefault(m => m?["role"]?.ToString() == "user")?["content"]?.AsArray()
        .Select(b => b?["text"]?.ToString()).LastOrDefault(t => t is not null) ?? "";

    /// <summary>A Converse answer: the assistant message of these blocks, the stop reason, usage and metrics.</summary>
    public static JsonObject Converse(JsonObject block, string stopReason, params JsonObject[] more) => new()
    {
        ["output"] = new JsonObject
        {
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray([block, .. more]) },
        },
        ["stopReason"] = stopReason,
        ["usage"] = new JsonObject { ["inputTokens"] = 12, ["outputTokens"] = 5, ["totalTokens"] = 17 },
        ["metrics"] = new JsonObject { ["latencyMs"] = 42 },
    };

    /// <summary>The events of a streamed text answer: start, one delta per word, stops, usage.</summary>
    public static List<byte[]> TextEvents(string text, string stopReason = "end_turn")
    {
        var frames = new List<byte[]> { EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" }) };
        foreach (var (word, i) in text.Split(' ').Select((w, i) => (w, i)))
            frames.Add(EventStreamFrames.Event("contentBlockDelta", new JsonObject
            {
                ["contentBlockIndex"] = 0,
                ["delta"] = new JsonObject { ["text"] = (i == 0 ? "" : " ") + word },
                ["p"] = "abcdefgh", // Bedrock pads event payloads; readers ignore the field
            }));
        frames.Add(EventStreamFrames.Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }));
        frames.Add(EventStreamFrames.Event("messageStop", new JsonObject { ["stopReason"] = stopReason }));
        frames.Add(Metadata());
        return frames;
    }

    public static byte[] Metadata(int input = 12, int output = 5) => EventStreamFrames.Event("metadata", new JsonObject
    {
        ["usage"] = new JsonObject { ["inputTokens"] = input, ["outputTokens"] = output, ["totalTokens"] = input + output },
        ["metrics"] = new JsonObject { ["latencyMs"] = 42 },
    });

    /// <summary>
    /// Writes the frames as an event-stream answer, each frame in two writes split inside it, so the reader under test
    /// must assemble frames across reads; <paramref name="between"/> runs after each frame (a test's pause point).
    /// </summary>
    public static async Task StreamAsync(HttpContext context, IReadOnlyList<byte[]> frames, Func<int, Task>? between = null)
    {
        context.Response.ContentType = "application/vnd.amazon.eventstream";
        for (var i = 0; i < frames.Count; i++)
        {
            var split = Math.Min(7, frames[i].Length);
            await context.Response.Body.WriteAsync(frames[i].AsMemory(0, split), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await context.Response.Body.WriteAsync(frames[i].AsMemory(split), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (between is not null) await between(i);
        }
    }

    public static Func<HttpContext, BedrockRequest, Task> Stream(params byte[][] frames) => (context, _) => StreamAsync(context, frames);

    public static Func<HttpContext, BedrockRequest, Task> Answer(JsonObject converse) => (context, _) => context.Response.WriteAsJsonAsync(converse);

    /// <summary>An error answer as Bedrock sends one: the status, x-amzn-ErrorType, and {message}.</summary>
    public static Func<HttpContext, BedrockRequest, Task> Error(int status, string type, string message) =>
        (context, _) => ErrorAsync(context, status, type, message);

    private static async Task ErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        await context.Response.WriteAsJsonAsync(new JsonObject { ["message"] = message });
    }
}

public sealed record BedrockRequest(
    string RawPath, string ModelId, string Operation, IReadOnlyDictionary<string, string> Headers, JsonObject Body, SigV4Verifier.Verdict Signature);
