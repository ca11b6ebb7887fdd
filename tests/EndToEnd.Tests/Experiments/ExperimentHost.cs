using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace HoneyHive.EndToEnd.Tests.Experiments;

/// <summary>
/// The Host with its <c>openai</c> provider pointed at <see cref="FakeOpenAiUpstream"/> in this process: the generation
/// model (<see cref="GenerationModel"/>) echoes the prompt, the judge model (<see cref="JudgeModel"/>) answers a JSON score.
/// Helpers seed a dataset, a configuration and metrics through the DP API, and read an experiment back.
/// </summary>
public class ExperimentHost : HostProcess
{
    public const string GenerationModel = "gpt-4o-mini";
    public const string JudgeModel = "gpt-4o";

    public FakeOpenAiUpstream Upstream { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Upstream = await FakeOpenAiUpstream.StartAsync();
        ExtraEnvironment["LlmProxy__ProviderBaseUrls__openai"] = Upstream.BaseUrl;
        ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        // A restarted Host must still decrypt the provider key stored before the crash: one master key per fixture, not per start.
        ExtraEnvironment["Secrets__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        ExtraEnvironment["ControlPlane__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        // PYTHON metrics run in the Host's pool, with the sandbox ./hh test installed.
        ExtraEnvironment["PythonMetric__RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        ExtraEnvironment["PythonMetric__PythonLibrary"] = TestServers.PythonLibrary;
        await base.InitializeAsync();
        using var api = Api();
        using var stored = await api.PutAsJsonAsync(new Uri("/v1/provider-secrets/openai", UriKind.Relative), new { value = "sk-e2e-experiments" });
        Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public HttpClient Api() => Client(DataPlaneApi, ApiKey);

    /// <summary>Judge answers for the next <paramref name="count"/> judge calls: score 4 with an explanation.</summary>
    public void ScriptJudge(int count) =>
        Upstream.Script(JudgeModel, [.. Enumerable.Repeat<Func<HttpContext, JsonObject, Task>>(
            (context, _) => context.Response.WriteAsJsonAsync(FakeOpenAiUpstream.Completion(JudgeModel, """{"score": 4, "explanation": "close enough"}""")),
            count)]);

    /// <summary>A dataset of <paramref name="count"/> datapoints: inputs <c>{q: "q-i"}</c>, ground truth <c>{a: "echo: Q: q-i"}</c> (what the fake answers).</summary>
    public async Task<string> DatasetAsync(HttpClient api, string name, int count)
    {
        var dataset = (await OkAsync(api, HttpMethod.Post, "/v1/datasets", new { name }))["result"]!["insertedId"]!.GetValue<string>();
        var data = Enumerable.Range(0, count).Select(i => new { q = $"q-{i}", a = $"echo: Q: q-{i}" }).ToArray();
        await OkAsync(api, HttpMethod.Post, $"/v1/datasets/{dataset}/datapoints",
            new { data, mapping = new { inputs = new[] { "q" }, history = Array.Empty<string>(), ground_truth = new[] { "a" } } });
        return dataset;
    }

    public static async Task<string> ConfigurationAsync(HttpClient api, string name) =>
        (await OkAsync(api, HttpMethod.Post, "/v1/configurations", new
        {
            name, provider = "openai",
            parameters = new { call_type = "chat", model = GenerationModel, template = new[] { new { role = "user", content = "Q: {{q}}" } } },
        }))["insertedId"]!.GetValue<string>();

    public static async Task<string> PythonMetricAsync(HttpClient api, string name, string body) =>
        (await OkAsync(api, HttpMethod.Post, "/v1/metrics", new { name, type = "PYTHON", return_type = "float", criteria = "def metric(event):\n" + body }))
            ["metric_id"]!.GetValue<string>();

    public static async Task<string> JudgeMetricAsync(HttpClient api, string name) =>
        (await OkAsync(api, HttpMethod.Post, "/v1/metrics", new
        {
            name, type = "LLM", return_type = "float", model_provider = "openai", model_name = JudgeModel,
            criteria = "Rate the answer {{outputs.content}} to {{inputs.q}} from 1 to 5.",
        }))["metric_id"]!.GetValue<string>();

    /// <summary>Starts an experiment: 202 with its run id.</summary>
    public static async Task<string> StartAsync(HttpClient api, object body)
    {
        using var response = await api.PostAsJsonAsync(new Uri("/v1/experiments", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /v1/experiments answered {(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        Assert.Equal(json["run_id"]!.GetValue<string>(), json["experiment_id"]!.GetValue<string>());
        return json["run_id"]!.GetValue<string>();
    }

    public static async Task<JsonObject> ProgressAsync(HttpClient api, string experiment) =>
        (JsonObject)(await OkAsync(api, HttpMethod.Get, $"/v1/experiments/{experiment}", null));

    /// <summary>Waits until the experiment's status is <paramref name="status"/>; a failed experiment ends the wait with its error.</summary>
    public async Task<JsonObject> UntilAsync(HttpClient api, string experiment, string status, TimeSpan? limit = null)
    {
        try
        {
            return await Eventually.ValueAsync(() => ProgressAsync(api, experiment), p =>
            {
                Assert.NotEqual("failed", p["status"]?.ToString());
                return p["status"]?.ToString() == status;
            }, $"experiment {experiment} {status}", limit ?? TimeSpan.FromMinutes(3));
        }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException)
        {
            // The Host's own account of the workflow is the quickest way to why it did not finish.
            var log = Output;
            throw new InvalidOperationException(e.Message + "\n--- Host output (tail) ---\n" + log[Math.Max(0, log.Length - 12_000)..], e);
        }
    }

    /// <summary>The current events the search finds for these filters (up to 1000).</summary>
    public static async Task<List<JsonObject>> EventsAsync(HttpClient api, params object[] filters)
    {
        var json = await OkAsync(api, HttpMethod.Post, "/v1/events/search", new { filters, limit = 1000 });
        return [.. json["events"]!.AsArray().OfType<JsonObject>()];
    }

    public static object Is(string field, string value) => new { field, @operator = "is", value, type = "string" };

    public static async Task<JsonNode> OkAsync(HttpClient api, HttpMethod method, string url, object? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {url} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
