using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// OpenAI embeddings requests and answers for Gemini's <c>batchEmbedContents</c> (AI Studio) and Vertex AI's
/// <c>predict</c>: the inputs are texts; vectors come back as floats, or base64 of little-endian float32 when the
/// caller asks <c>encoding_format: base64</c> (the openai Python client's default).
/// </summary>
public static class GeminiEmbeddings
{
    public static IReadOnlyList<string> Inputs(JsonObject request) => request["input"] switch
    {
        JsonValue value when value.TryGetValue<string>(out var one) => [one],
        JsonArray many when many.Count > 0 && many.All(s => s is JsonValue v && v.TryGetValue<string>(out _)) => [.. many.Select(s => s!.GetValue<string>())],
        _ => throw OpenAiErrorException.Invalid("input", "input must be a string or a non-empty array of strings: Google's embedding models take text, not token arrays."),
    };

    public static int? Dimensions(JsonObject request) => OpenAiRequests.OptionalInt(request, "dimensions", 1, 65_536);

    public static JsonObject BatchRequest(JsonObject request, string model)
    {
        var requests = new JsonArray();
        foreach (var text in Inputs(request))
        {
            var one = new JsonObject { ["model"] = "models/" + model, ["content"] = new JsonObject { ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) } };
            if (Dimensions(request) is { } dimensions) one["outputDimensionality"] = dimensions;
            requests.Add(one);
        }
        return new JsonObject { ["requests"] = requests };
    }

    public static JsonObject PredictRequest(JsonObject request)
    {
        var body = new JsonObject { ["instances"] = new JsonArray([.. Inputs(request).Select(t => (JsonNode)new JsonObject { ["content"] = t })]) };
        if (Dimensions(request) is { } dimensions) body["parameters"] = new JsonObject { ["outputDimensionality"] = dimensions };
        return body;
    }

    /// <summary>batchEmbedContents' <c>embeddings[].values</c>; AI Studio reports no token counts.</summary>
    public static JsonObject FromBatch(JsonObject response, JsonObject request, string model) =>
        List(request, model, (response["embeddings"] as JsonArray ?? []).Select(e => e?["values"] as JsonArray ?? []), 0);

    /// <summary>predict's <c>predictions[].embeddings.values</c> with each text's token_count.</summary>
    public static JsonObject FromPredict(JsonObject response, JsonObject request, string model)
    {
        var predictions = (response["predictions"] as JsonArray ?? []).Select(p => p?["embeddings"]).ToList();
        var tokens = predictions.Sum(e => e?["statistics"]?["token_count"] is JsonValue v && v.TryGetValue<double>(out var n) ? (long)n : 0);
        return List(request, model, predictions.Select(e => e?["values"] as JsonArray ?? []), tokens);
    }

    private static JsonObject List(JsonObject request, string model, IEnumerable<JsonArray> vectors, long tokens)
    {
        var base64 = OpenAiMessages.Text(request["encoding_format"]) == "base64";
        var data = new JsonArray();
        foreach (var (values, index) in vectors.Select((v, i) => (v, i)))
        {
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = index,
                ["embedding"] = base64 ? Base64(values) : values.DeepClone(),
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

    private static string Base64(JsonArray values)
    {
        var floats = values.Select(v => v is JsonValue n && n.TryGetValue<double>(out var d) ? (float)d : 0f).ToArray();
        var bytes = new byte[floats.Length * sizeof(float)];
        for (var i = 0; i < floats.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), floats[i]);
        return Convert.ToBase64String(bytes);
    }
}
