using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Providers;

/// <summary>
/// Google's Gemini API in both of its doors, written for the tests: AI Studio
/// (<c>/v1beta/models/{model}:{method}</c>, key in x-goog-api-key) and Vertex AI
/// (<c>/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}</c>, a bearer token), and
/// the OAuth token endpoint a service-account key's <c>token_uri</c> names, which checks the JWT assertion's RS256
/// signature with the service account's public key before it issues a token. Requests are checked against the
/// documented shapes (unknown fields are refused, as Google's API does) and answered with the documented responses.
/// </summary>
public sealed class FakeGoogleUpstream : IAsyncDisposable
{
    public const string ApiKey = "AIzaSy-test-0123456789";
    public const string Project = "test-project";
    public const string ServiceAccountEmail = "proxy@test-project.iam.gserviceaccount.com";
    public const string KeyId = "0123456789abcdef";

    private static readonly HashSet<string> TopLevel = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings"];

    private static readonly HashSet<string> GenerationFields =
    [
        "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount", "seed", "presencePenalty",
        "frequencyPenalty", "responseMimeType", "responseSchema",
    ];

    private readonly RSA serviceAccountKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, DateTimeOffset> issued = new(StringComparer.Ordinal);
    private FakeProviderServer server = null!;
    private int tokensIssued;

    public string BaseUrl => server.BaseUrl;

    /// <summary>Tokens the token endpoint issued (each one a verified assertion).</summary>
    public int TokensIssued => tokensIssued;

    public ConcurrentQueue<string> TokenRefusals { get; } = new();

    public static async Task<FakeGoogleUpstream> StartAsync()
    {
        var fake = new FakeGoogleUpstream();
        fake.server = await FakeProviderServer.StartAsync((app, _) =>
        {
            app.MapPost("/v1beta/models/{call}", fake.StudioAsync);
            app.MapPost("/v1/projects/{project}/locations/{location}/publishers/google/models/{call}", fake.VertexAsync);
            app.MapPost("/token", fake.TokenAsync);
        });
        return fake;
    }

    public void Script(string model, params Func<HttpContext, JsonObject, Task>[] answers) => server.Script(model, answers);

    public IReadOnlyList<ProviderRequest> RequestsFor(string model) => server.RequestsFor(model);

    /// <summary>
    /// A service-account JSON key as Google issues it, its token_uri this server's token endpoint. A distinct
    /// <paramref name="clientId"/> makes a distinct key file for the same account (the proxy caches tokens per file).
    /// </summary>
    public string ServiceAccountJson(string clientId = "100000000000000000001") => KeyJson(serviceAccountKey, clientId);

    /// <summary>A well-formed key whose public half Google does not know: its assertions fail verification.</summary>
    public string UnknownServiceAccountJson()
    {
        using var other = RSA.Create(2048);
        return KeyJson(other, "100000000000000000002");
    }

    private string KeyJson(RSA key, string clientId) => new JsonObject
    {
        ["type"] = "service_account",
        ["project_id"] = Project,
        ["private_key_id"] = KeyId,
        ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
        ["client_email"] = ServiceAccountEmail,
        ["client_id"] = clientId,
        ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
        ["token_uri"] = BaseUrl + "/token",
    }.ToJsonString();

    private async Task StudioAsync(HttpContext context, string call)
    {
        var (model, method) = Split(call);
        var (body, _, scripted) = await server.ReceiveAsync(context, model);
        if (context.Request.Headers["x-goog-api-key"] != ApiKey)
        {
            // What AI Studio answers a wrong key with.
            await Error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")(context, body);
            return;
        }
        await AnswerAsync(context, model, method, body, scripted, vertex: false);
    }

    private async Task VertexAsync(HttpContext context, string project, string location, string call)
    {
        var (model, method) = Split(call);
        var (body, _, scripted) = await server.ReceiveAsync(context, model);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !issued.TryGetValue(authorization[7..], out var expires) || expires < DateTimeOffset.UtcNow)
        {
            await Error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.")(context, body);
            return;
        }
        if (project != Project || location != "us-central1")
        {
            await Error(404, "NOT_FOUND", $"Project {project} or location {location} not found.")(context, body);
            return;
        }
        await AnswerAsync(context, model, method, body, scripted, vertex: true);
    }

    private static async Task AnswerAsync(HttpContext context, string model, string method, JsonObject body, Func<HttpContext, JsonObject, Task>? scripted, bool vertex)
    {
        var stream = method == "streamGenerateContent";
        var problem = method switch
        {
            "generateContent" => ContentProblem(body),
            "streamGenerateContent" => context.Request.Query["alt"] != "sse" ? "streamGenerateContent needs alt=sse for server-sent events" : ContentProblem(body),
            "batchEmbedContents" when !vertex => EmbedProblem(body, model),
            "predict" when vertex => body["instances"] is JsonArray { Count: > 0 } instances && instances.All(i => i?["content"] is JsonValue) ? null : "instances[].content required",
            _ => $"method {method} not found",
        };
        if (problem is not null)
        {
            await Error(400, "INVALID_ARGUMENT", problem)(context, body);
            return;
        }
        if (scripted is not null)
        {
            await scripted(context, body);
            return;
        }
        switch (method)
        {
            case "batchEmbedContents":
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["embeddings"] = new JsonArray([.. body["requests"]!.AsArray().Select((_, i) => (JsonNode)new JsonObject { ["values"] = new JsonArray(0.5, -0.25, i) })]),
                });
                return;
            case "predict":
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["predictions"] = new JsonArray([.. body["instances"]!.AsArray().Select((_, i) => (JsonNode)new JsonObject
                    {
                        ["embeddings"] = new JsonObject { ["values"] = new JsonArray(0.5, -0.25, i), ["statistics"] = new JsonObject { ["truncated"] = false, ["token_count"] = 3.0 } },
                    })]),
                });
                return;
        }
        var lastUser = body["contents"]!.AsArray().Last(c => c!["role"]!.ToString() == "user")!["parts"]!.AsArray();
        var text = "echo: " + lastUser.Select(p => p?["text"]?.ToString()).LastOrDefault(t => t is not null);
        if (!stream)
        {
            await context.Response.WriteAsJsonAsync(Response(model, [Candidate(0, [TextPart(text)], "STOP")], Usage(9, 4)));
            return;
        }
        var words = text.Split(' ');
        await StreamAsync(context, words.Select((w, i) => Response(model,
            [Candidate(0, [TextPart((i == 0 ? "" : " ") + w)], i == words.Length - 1 ? "STOP" : null)],
            i == words.Length - 1 ? Usage(9, 4) : Usage(9, null))));
    }

    private static string? ContentProblem(JsonObject body)
    {
        if (body.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k)) is { } unknown) return $"Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field.";
        if (body["contents"] is not JsonArray { Count: > 0 } contents) return "contents is not specified";
        foreach (var content in contents)
        {
            if (content?["role"]?.ToString() is not ("user" or "model")) return "Please use a valid role: user, model.";
            if (content["parts"] is not JsonArray { Count: > 0 } parts) return "contents.parts must not be empty.";
            if (parts.Select(PartProblem).FirstOrDefault(p => p is not null) is { } problem) return problem;
        }
        if (body["systemInstruction"] is { } system && (system["parts"] is not JsonArray systemParts || systemParts.Any(p => p?["text"] is null))) return "systemInstruction.parts[].text required";
        if (body["generationConfig"] is JsonObject config)
        {
            if (config.Select(p => p.Key).FirstOrDefault(k => !GenerationFields.Contains(k)) is { } field) return $"Unknown name \"{field}\" at 'generation_config'";
            if (config["responseSchema"] is JsonObject schema && SchemaProblem(schema) is { } schemaProblem) return schemaProblem;
        }
        if (body["tools"] is JsonArray tools)
        {
            foreach (var declaration in tools.SelectMany(t => t?["functionDeclarations"] as JsonArray ?? []))
            {
                if (declaration?["name"] is null) return "function_declarations[].name required";
                if (declaration["parameters"] is JsonObject parameters && SchemaProblem(parameters) is { } problem) return problem;
            }
        }
        if (body["toolConfig"]?["functionCallingConfig"]?["mode"]?.ToString() is { } mode && mode is not ("AUTO" or "ANY" or "NONE")) return "function_calling_config.mode";
        return null;
    }

    private static string? PartProblem(JsonNode? part)
    {
        if (part is not JsonObject p || p.Count != 1) return "each part holds exactly one of text, inlineData, fileData, functionCall, functionResponse";
        var (name, value) = p.First();
        return name switch
        {
            "text" => null,
            "inlineData" => value?["mimeType"] is null || value["data"] is null ? "inlineData needs mimeType and data" : null,
            "fileData" => value?["mimeType"] is null || value["fileUri"] is null ? "fileData needs mimeType and fileUri" : null,
            "functionCall" => value?["name"] is null || value["args"] is not JsonObject ? "functionCall needs name and args" : null,
            "functionResponse" => value?["name"] is null || value["response"] is not JsonObject ? "functionResponse needs name and a response object" : null,
            _ => $"Unknown name \"{name}\" at 'contents[].parts[]'",
        };
    }

    /// <summary>Gemini's Schema refuses JSON Schema keywords outside its OpenAPI subset.</summary>
    private static string? SchemaProblem(JsonObject schema)
    {
        foreach (var (name, value) in schema)
        {
            if (name is "additionalProperties" or "$schema" or "strict" or "$defs") return $"Invalid JSON payload received. Unknown name \"{name}\" at 'schema'";
            if (name == "type" && value is not JsonValue) return "schema.type must be a single type";
            var children = name switch
            {
                "properties" => (value as JsonObject)?.Select(p => p.Value as JsonObject) ?? [],
                "items" => [value as JsonObject],
                _ => [],
            };
            if (children.Where(c => c is not null).Select(c => SchemaProblem(c!)).FirstOrDefault(p => p is not null) is { } problem) return problem;
        }
        return null;
    }

    private static string? EmbedProblem(JsonObject body, string model) =>
        body["requests"] is JsonArray { Count: > 0 } requests && requests.All(r => r?["model"]?.ToString() == "models/" + model && r["content"]?["parts"]?[0]?["text"] is JsonValue)
            ? null
            : "requests[] need model models/{model} and content.parts[].text";

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var refusal = AssertionProblem(form["grant_type"].ToString(), form["assertion"].ToString());
        if (refusal is not null)
        {
            TokenRefusals.Enqueue(refusal);
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = "invalid_grant", ["error_description"] = refusal });
            return;
        }
        Interlocked.Increment(ref tokensIssued);
        var token = "ya29.test-" + Guid.NewGuid().ToString("N");
        issued[token] = DateTimeOffset.UtcNow.AddHours(1);
        await context.Response.WriteAsJsonAsync(new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" });
    }

    /// <summary>What Google's token endpoint checks in a JWT-bearer grant: the RS256 signature with the key's public half, and the claims.</summary>
    private string? AssertionProblem(string grantType, string assertion)
    {
        if (grantType != "urn:ietf:params:oauth:grant-type:jwt-bearer") return "grant_type must be jwt-bearer";
        var parts = assertion.Split('.');
        if (parts.Length != 3) return "assertion is not a JWT";
        var header = JsonNode.Parse(Base64Url(parts[0]))!;
        var claims = JsonNode.Parse(Base64Url(parts[1]))!;
        if (header["alg"]?.ToString() != "RS256") return "alg must be RS256";
        if (header["kid"] is { } kid && kid.ToString() != KeyId) return "unknown kid";
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!serviceAccountKey.VerifyData(signed, Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)) return "Invalid JWT Signature.";
        if (claims["iss"]?.ToString() != ServiceAccountEmail) return "iss is not the service account";
        // Google documents aud as always its token URL, wherever the assertion is posted.
        if (claims["aud"]?.ToString() != "https://oauth2.googleapis.com/token") return "aud is not https://oauth2.googleapis.com/token";
        if (claims["scope"]?.ToString().Split(' ').Contains("https://www.googleapis.com/auth/cloud-platform") != true) return "scope lacks cloud-platform";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var iat = claims["iat"]!.GetValue<long>();
        var exp = claims["exp"]!.GetValue<long>();
        if (iat > now + 300 || exp < now || exp - iat > 3600) return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.";
        return null;
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private static (string Model, string Method) Split(string call)
    {
        var colon = call.LastIndexOf(':');
        return colon < 0 ? (call, "") : (call[..colon], call[(colon + 1)..]);
    }

    public static JsonObject TextPart(string text) => new() { ["text"] = text };

    public static JsonObject FunctionCall(string name, JsonObject args) => new() { ["functionCall"] = new JsonObject { ["name"] = name, ["args"] = args } };

    public static JsonObject Candidate(int index, JsonArray parts, string? finishReason)
    {
        var candidate = new JsonObject { ["content"] = new JsonObject { ["role"] = "model", ["parts"] = parts }, ["index"] = index };
        if (finishReason is not null) candidate["finishReason"] = finishReason;
        return candidate;
    }

    public static JsonObject Usage(int prompt, int? candidates)
    {
        var usage = new JsonObject { ["promptTokenCount"] = prompt, ["totalTokenCount"] = prompt + (candidates ?? 0) };
        if (candidates is { } n) usage["candidatesTokenCount"] = n;
        return usage;
    }

    /// <summary>A GenerateContentResponse as documented (also each event of a stream).</summary>
    public static JsonObject Response(string model, JsonArray candidates, JsonObject usage) => new()
    {
        ["candidates"] = candidates,
        ["usageMetadata"] = usage,
        ["modelVersion"] = model,
        ["responseId"] = "resp-test-0001",
    };

    public static Func<HttpContext, JsonObject, Task> Answer(JsonObject response) => (context, _) => context.Response.WriteAsJsonAsync(response);

    public static Func<HttpContext, JsonObject, Task> Stream(IEnumerable<JsonObject> responses) => (context, _) => StreamAsync(context, responses);

    public static async Task StreamAsync(HttpContext context, IEnumerable<JsonObject> responses)
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var response in responses) await FakeProviderServer.WriteEventAsync(context, null, response);
    }

    /// <summary>Google's error body, <c>{error: {code, message, status}}</c>, with retry-after when given.</summary>
    public static Func<HttpContext, JsonObject, Task> Error(int code, string status, string message, int? retryAfterSeconds = null) =>
        async (context, _) =>
        {
            context.Response.StatusCode = code;
            if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status } });
        };

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        serviceAccountKey.Dispose();
    }
}
