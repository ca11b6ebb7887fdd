using System.Text.Json.Nodes;
using static HoneyHive.LlmProxy.Providers.OpenAiShapes;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// Turns the responses of a Gemini <c>streamGenerateContent?alt=sse</c> stream into OpenAI chunks: each event is a
/// partial <c>GenerateContentResponse</c>; text parts are content deltas, a function call arrives whole and becomes
/// a tool call chunk, a finish reason the finish chunk, and the last <c>usageMetadata</c> the usage chunk at the end.
/// </summary>
public sealed class GeminiStream(string model)
{
    private readonly long created = OpenAiMessages.Now();
    private readonly HashSet<int> started = [];
    private readonly Dictionary<int, int> callsByCandidate = [];
    private string? id;
    private string responseModel = model;
    private JsonObject? usage;

    public IEnumerable<JsonObject> Translate(JsonObject response)
    {
        id ??= GeminiResponse.Id(response);
        responseModel = GeminiResponse.ModelOf(response, responseModel);
        usage = GeminiResponse.Usage(response) ?? usage;
        foreach (var node in response["candidates"] as JsonArray ?? [])
        {
            if (node is not JsonObject candidate) continue;
            var index = (int)Long(candidate["index"]);
            var before = callsByCandidate.GetValueOrDefault(index);
            var (text, calls) = GeminiResponse.Read(candidate, index, before);
            callsByCandidate[index] = before + calls.Count;
            var delta = new JsonObject();
            if (started.Add(index)) delta["role"] = "assistant";
            if (text.Length > 0 || calls.Count == 0) delta["content"] = text;
            if (calls.Count > 0)
            {
                delta["tool_calls"] = new JsonArray([.. calls.Select((c, i) => (JsonNode)new JsonObject
                {
                    ["index"] = before + i,
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                })]);
            }
            var finish = GeminiResponse.FinishReason(OpenAiMessages.Text(candidate["finishReason"]), callsByCandidate[index] > 0);
            yield return Chunk(id, responseModel, created, index, delta, finish);
        }
    }

    /// <summary>The usage chunk that ends the stream, when Gemini reported usage.</summary>
    public JsonObject? End() => usage is null ? null : UsageChunk(id ?? "gemini", responseModel, created, usage);
}
