using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// OpenAI embeddings requests as Titan text embeddings' InvokeModel bodies (<c>{inputText, dimensions?}</c>, one per
/// input: Titan embeds one text per call) and their answers (<c>{embedding, inputTextTokenCount}</c>) as OpenAI's list.
/// </summary>
public static class TitanEmbeddings
{
    public static IReadOnlyList<JsonObject> Requests(JsonObject request)
    {
        var inputs = request["input"] switch
        {
            JsonValue one when one.TryGetValue<string>(out var text) => [text],
            JsonArray many when many.Count > 0 && many.All(i => i?.GetValueKind() == JsonValueKind.String) => many.Select(i => i!.GetValue<string>()).ToList(),
            _ => throw OpenAiErrorException.Invalid("input", "Bedrock's text embedding models take input as a string or an array of strings (not token ids)."),
        };
        if (inputs.Any(i => i.Length == 0)) throw OpenAiErrorException.Invalid("input", "An input to embed is empty.");
        var dimensions = OpenAiRequests.OptionalInt(request, "dimensions", 1, 8192);
        return inputs.Select(input =>
        {
            var body = new JsonObject { ["inputText"] = input };
            if (dimensions is { } size) body["dimensions"] = size;
            return body;
        }).ToList();
    }

    public static JsonObject ToList(IReadOnlyList<JsonObject> answers, string model, bool base64)
    {
        var data = new JsonArray();
        var tokens = 0;
        for (var i = 0; i < answers.Count; i++)
        {
            var vector = answers[i]["embedding"] as JsonArray ?? throw new JsonException("a Titan answer has no embedding");
            tokens += answers[i]["inputTextTokenCount"] is JsonValue count && count.TryGetValue<int>(out var n) ? n : 0;
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = i,
                ["embedding"] = base64 ? Base64(vector) : vector.DeepClone(),
            });
        }
        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
    }

    /// <summary>OpenAI's base64 encoding: the float32 values, little-endian, as one base64 string.</summary>
    private static string Base64(JsonArray vector)
    {
        var bytes = new byte[vector.Count * sizeof(float)];
        for (var i = 0; i < vector.Count; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), (float)vector[i]!.GetValue<double>());
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("base64 embeddings are encoded on little-endian hosts only");
        return Convert.ToBase64String(bytes);
    }
}
