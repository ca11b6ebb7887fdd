using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The experiments, evaluators and annotation-queue tests share one platform (one Host, one UI server) and run one
/// after another: each test makes its own runs, evaluators and queues under a fresh marker, and the empty states are
/// read in a project of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EvaluationUi : ICollectionFixture<WebUi>
{
    public const string Name = "evaluation ui";
}

/// <summary>Test data made through the data-plane API with the project key, as an SDK or a harness makes it.</summary>
public static class EvaluationData
{
    public static string Marker() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// A completed run over datapoints <c>dp-{marker}-{i}</c>: per datapoint a session (input "question i?") and a model
    /// event (output "answer i") carrying the given metrics, tagged with the run as the SDKs tag them. Waits until the
    /// run's summary has every datapoint with its metrics (events are stored a moment after they are sent).
    /// </summary>
    public static async Task<(string RunId, List<string> Sessions)> CreateRunAsync(
        WebUi web, string name, string marker, IReadOnlyList<Dictionary<string, object>> datapointMetrics, object? passingRanges = null)
    {
        using var api = web.Client(web.DataPlaneApi, web.ApiKey);
        var created = await SendAsync(api, HttpMethod.Post, "/v1/runs", new Dictionary<string, object?>
        {
            ["name"] = name,
            ["status"] = "running",
            ["dataset_id"] = $"ds-{marker}",
            ["datapoint_ids"] = datapointMetrics.Select((_, i) => $"dp-{marker}-{i}").ToArray(),
            ["passing_ranges"] = passingRanges ?? new { },
        });
        var runId = created["run_id"]!.GetValue<string>();
        var sessions = new List<string>();
        for (var i = 0; i < datapointMetrics.Count; i++)
        {
            var metadata = new { run_id = runId, datapoint_id = $"dp-{marker}-{i}", dataset_id = $"ds-{marker}" };
            var session = await SendAsync(api, HttpMethod.Post, "/session/start", new
            {
                session = new { session_name = $"eval {name}", source = "evaluation", inputs = new { question = $"question {i}?" }, metadata },
            });
            var sessionId = session["session_id"]!.GetValue<string>();
            sessions.Add(sessionId);
            await SendAsync(api, HttpMethod.Post, "/events", new
            {
                @event = new
                {
                    event_name = "answer", event_type = "model", session_id = sessionId, source = "evaluation",
                    config = new { model = "gpt-4o" }, inputs = new { question = $"question {i}?" }, outputs = new { content = $"answer {i} of {name}" },
                    duration = 12, metadata, metrics = datapointMetrics[i],
                },
            });
        }

        await SendAsync(api, HttpMethod.Put, $"/v1/runs/{runId}", new { event_ids = sessions, status = "completed" });
        await Eventually.ValueAsync(
            () => SendAsync(api, HttpMethod.Get, $"/v1/runs/{runId}/summary", null),
            summary => summary["datapoints"]!.AsArray().Count == datapointMetrics.Count
                       && summary["datapoints"]!.AsArray().All(d => d!["metrics"]!.AsArray().Count == datapointMetrics[0].Count),
            $"the run {name} with its {datapointMetrics.Count} scored datapoints");
        return (runId, sessions);
    }

    /// <summary>A model event in a session of its own, with the marker in its metadata; answers its id once it can be read.</summary>
    public static async Task<string> SendModelEventAsync(WebUi web, string marker, string question, string answer)
    {
        using var api = web.Client(web.DataPlaneApi, web.ApiKey);
        var session = await SendAsync(api, HttpMethod.Post, "/session/start", new
        {
            // The marker goes on the model event only, so a filter on it finds that event and not its session.
            session = new { session_name = $"chat {marker}", source = "ui-test", inputs = new { question } },
        });
        var sessionId = session["session_id"]!.GetValue<string>();
        var created = await SendAsync(api, HttpMethod.Post, "/events", new
        {
            @event = new
            {
                event_name = "chat gpt-4o", event_type = "model", session_id = sessionId, source = "ui-test", config = new { model = "gpt-4o" },
                inputs = new { chat_history = new object[] { new { role = "system", content = "Answer briefly." }, new { role = "user", content = question } } },
                outputs = new { role = "assistant", content = answer },
                metadata = new { marker },
            },
        });
        var eventId = created["event_id"]!.GetValue<string>();
        await Eventually.ValueAsync(
            async () =>
            {
                using var response = await api.GetAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative));
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK, $"event {eventId} readable");
        return eventId;
    }

    /// <summary>A HUMAN metric (the evaluator people score queue items with).</summary>
    public static async Task CreateHumanMetricAsync(WebUi web, string name, string returnType, int? scale, string criteria)
    {
        using var api = web.Client(web.DataPlaneApi, web.ApiKey);
        var body = new Dictionary<string, object?> { ["name"] = name, ["type"] = "HUMAN", ["criteria"] = criteria, ["return_type"] = returnType };
        if (scale is { } s) body["scale"] = s;
        await SendAsync(api, HttpMethod.Post, "/v1/metrics", body);
    }

    /// <summary>A new, empty project in the bootstrap workspace, once the data plane knows it.</summary>
    public static async Task<string> EmptyProjectAsync(WebUi web)
    {
        var project = await web.CreateProjectAsync($"empty {Marker()}");
        var token = await web.AdminTokenAsync();
        using var dp = web.Client(web.DataPlaneApi, token);
        dp.DefaultRequestHeaders.Add("x-hh-project-id", project);
        await Eventually.ValueAsync(
            async () =>
            {
                using var response = await dp.GetAsync(new Uri("/v1/runs", UriKind.Relative));
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK, $"the data plane knows project {project}");
        return project;
    }

    public static async Task<JsonObject> SendAsync(HttpClient client, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null });
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
