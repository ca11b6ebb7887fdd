using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Tests.MetricRuns;

/// <summary>POST /v1/metrics/run and /v1/metrics/run_metric over the real worker pool: answers, refusals and tenancy.</summary>
[Collection(MetricRunCollection.Name)]
public sealed class MetricRunRouteTests(MetricRunFixture fixture)
{
    private const string Run = "/v1/metrics/run";
    private const string LegacyRun = "/v1/metrics/run_metric";

    private static readonly JsonObject Answer = new()
    {
        ["inputs"] = new JsonObject { ["question"] = "capital of France?" },
        ["outputs"] = new JsonObject { ["content"] = "Paris" },
        ["feedback"] = new JsonObject { ["ground_truth"] = "Paris" },
    };

    public static TheoryData<string, string, string?, string> HonestMetrics => new()
    {
        { "float", "def metric(event):\n    return len(event['outputs']['content'])\n", null, "5" },
        { "boolean", "def metric(event):\n    return event['outputs']['content'] == event['ground_truth']\n", null, "true" },
        { "string", "def metric(event):\n    return event['outputs']['content'].upper()\n", null, "\"PARIS\"" },
        { "categorical", "def metric(event):\n    return 'good' if 'Paris' in event['outputs']['content'] else 'bad'\n", "good,bad", "\"good\"" },
    };

    [Theory]
    [MemberData(nameof(HonestMetrics))]
    public async Task An_honest_metric_of_each_return_type_answers_200_with_its_value(string returnType, string criteria, string? categories, string expected)
    {
        var metric = Metric(criteria, returnType);
        if (categories is not null)
            metric["categories"] = new JsonArray([.. categories.Split(',').Select(c => (JsonNode)new JsonObject { ["category"] = c, ["score"] = null })]);

        var (status, body) = await PostAsync(Run, new JsonObject { ["metric"] = metric, ["event"] = Answer.DeepClone() });

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.False(body["loading"]!.GetValue<bool>());
        Assert.True(body.ContainsKey("explanation"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), Normalize(body["result"])), $"{returnType}: {body["result"]?.ToJsonString()}");
    }

    [Fact]
    public async Task The_legacy_route_answers_what_the_v1_route_answers()
    {
        var request = new JsonObject { ["metric"] = Metric("def metric(event):\n    return event['outputs']['content'] + '!'\n", "string"), ["event"] = Answer.DeepClone() };

        var (v1Status, v1) = await PostAsync(Run, request.DeepClone().AsObject());
        var (legacyStatus, legacy) = await PostAsync(LegacyRun, request.DeepClone().AsObject());

        Assert.Equal(HttpStatusCode.OK, v1Status);
        Assert.Equal(HttpStatusCode.OK, legacyStatus);
        Assert.Equal("Paris!", v1["result"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(v1, legacy), $"v1 {v1.ToJsonString()}\nlegacy {legacy.ToJsonString()}");
    }

    [Fact]
    public async Task The_legacy_route_accepts_unknown_top_level_fields_that_the_v1_route_refuses()
    {
        var request = new JsonObject { ["metric"] = Metric("def metric(event):\n    return 1\n"), ["event"] = Answer.DeepClone(), ["project"] = "ignored" };

        var (v1Status, v1) = await PostAsync(Run, request.DeepClone().AsObject());
        var (legacyStatus, legacy) = await PostAsync(LegacyRun, request.DeepClone().AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, v1Status);
        Assert.True(v1["errors"]!.AsObject().ContainsKey("project"), v1.ToJsonString());
        Assert.True(legacyStatus == HttpStatusCode.OK, legacy.ToJsonString());
    }

    [Fact]
    public async Task A_metric_that_raises_is_422_execution_error_with_the_python_error()
    {
        var (status, problem) = await PostAsync(Run, new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return event['outputs']['missing']\n"),
            ["event"] = Answer.DeepClone(),
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("execution_error", problem["errorCode"]!.GetValue<string>());
        Assert.Contains("KeyError", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(problem["detail"]!.GetValue<string>(), problem["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_syntax_error_is_422_compilation_error_naming_its_line()
    {
        var (status, problem) = await PostAsync(Run, new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    x = 1\n    return x +\n"),
            ["event"] = Answer.DeepClone(),
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("compilation_error", problem["errorCode"]!.GetValue<string>());
        Assert.Contains("line 3", problem["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_event_named_by_id_is_loaded_from_the_callers_project_with_its_ground_truth()
    {
        var (status, body) = await PostAsync(Run, new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return event['outputs']['content'] + '|' + event['ground_truth'] + '|' + event['inputs']['question']\n", "string", needsGroundTruth: true),
            ["event"] = new JsonObject { ["event_id"] = MetricRunFixture.EventA },
        });

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("Paris|Paris|capital of France?", body["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_id_of_another_project_is_404_and_its_content_never_reaches_the_metric()
    {
        var (status, problem) = await PostAsync(Run, new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return event['outputs']['content']\n", "string"),
            ["event"] = new JsonObject { ["event_id"] = MetricRunFixture.EventB },
        });

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("event.event_id", problem["field"]!.GetValue<string>());
        Assert.DoesNotContain("secret", problem.ToJsonString(), StringComparison.Ordinal);

        // The owner of the event scores it: the id is real, only not A's.
        var (ownerStatus, owner) = await PostAsync(Run, new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return event['outputs']['content']\n", "string"),
            ["event"] = new JsonObject { ["event_id"] = MetricRunFixture.EventB },
        }, key: "key-runs-b");
        Assert.True(ownerStatus == HttpStatusCode.OK, owner.ToJsonString());
        Assert.Equal("B's secret answer", owner["result"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "no metric", """{"event":{"outputs":{}}}""", "metric" },
        { "no event", """{"metric":{"name":"m","type":"PYTHON","criteria":"def metric(event):\n    return 1\n"}}""", "event" },
        { "metric not an object", """{"metric":"m","event":{}}""", "metric" },
        { "no criteria", """{"metric":{"name":"m","type":"PYTHON"},"event":{}}""", "metric.criteria" },
        { "blank criteria", """{"metric":{"name":"m","type":"PYTHON","criteria":"  "},"event":{}}""", "metric.criteria" },
        { "no name", """{"metric":{"type":"PYTHON","criteria":"def metric(event):\n    return 1\n"},"event":{}}""", "metric.name" },
        { "unknown type", """{"metric":{"name":"m","type":"SPREADSHEET","criteria":"def metric(event):\n    return 1\n"},"event":{}}""", "metric.type" },
        { "unknown return type", """{"metric":{"name":"m","type":"PYTHON","return_type":"int","criteria":"def metric(event):\n    return 1\n"},"event":{}}""", "metric.return_type" },
        { "unknown metric field", """{"metric":{"name":"m","type":"PYTHON","criteria":"def metric(event):\n    return 1\n","bogus":1},"event":{}}""", "metric.bogus" },
        { "categorical without categories", """{"metric":{"name":"m","type":"PYTHON","return_type":"categorical","criteria":"def metric(event):\n    return 'a'\n"},"event":{}}""", "metric.categories" },
        { "ground truth needed but absent", """{"metric":{"name":"m","type":"PYTHON","needs_ground_truth":true,"criteria":"def metric(event):\n    return 1\n"},"event":{"outputs":{"content":"x"}}}""", "event.feedback.ground_truth" },
        { "inputs not an object", """{"metric":{"name":"m","type":"PYTHON","criteria":"def metric(event):\n    return 1\n"},"event":{"inputs":"text"}}""", "event.inputs" },
        { "feedback not an object", """{"metric":{"name":"m","type":"PYTHON","criteria":"def metric(event):\n    return 1\n"},"event":{"feedback":[1]}}""", "event.feedback" },
        { "not JSON", """{"metric":""", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_deficient_request_is_400_naming_the_field(string what, string body, string field)
    {
        var (status, problem) = await PostRawAsync(Run, body);

        Assert.True(status == HttpStatusCode.BadRequest, $"{what}: {(int)status} {problem.ToJsonString()}");
        Assert.True(problem["errors"]?.AsObject().ContainsKey(field) == true || problem["field"]?.GetValue<string>() == field,
            $"{what}: expected field {field} in {problem.ToJsonString()}");
    }

    [Fact]
    public async Task Code_over_64_KB_is_400_on_metric_criteria_and_nothing_runs()
    {
        var runs = fixture.Pool.Stats.Runs;
        var criteria = "def metric(event):\n    return 1\n" + new string('#', 64 * 1024);

        var (status, problem) = await PostAsync(Run, new JsonObject { ["metric"] = Metric(criteria), ["event"] = Answer.DeepClone() });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("metric.criteria", problem["field"]!.GetValue<string>());
        Assert.Contains("64 KB", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(runs, fixture.Pool.Stats.Runs);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_an_event_of_a_mebibyte_runs()
    {
        var big = new string('x', (1 << 20) - 1024);
        var fits = new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return len(event['inputs']['text'])\n"),
            ["event"] = new JsonObject { ["inputs"] = new JsonObject { ["text"] = big } },
        };
        var (status, body) = await PostAsync(Run, fits);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(big.Length, body["result"]!.GetValue<double>());

        var tooBig = new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return 1\n"),
            ["event"] = new JsonObject { ["inputs"] = new JsonObject { ["text"] = new string('x', 2 << 20) } },
        };
        var (refused, problem) = await PostAsync(Run, tooBig);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused);
        Assert.Equal(413, problem["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Without_the_evaluation_engine_composed_the_route_is_503_saying_so()
    {
        using var client = fixture.Client(python: false);
        using var response = await client.PostAsync(new Uri(Run, UriKind.Relative), Content(new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    return 1\n"),
            ["event"] = Answer.DeepClone(),
        }.ToJsonString()));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("evaluation engine is not composed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_refused_by_a_full_pool_queue_is_429_with_Retry_After_and_the_worker_is_freed_when_the_caller_leaves()
    {
        using var client = fixture.Client(saturated: true);
        using var leave = new CancellationTokenSource();
        // Holds the pool's one worker until this test leaves (the caller's cancellation kills the run).
        Task<HttpResponseMessage> Hold() => client.PostAsync(new Uri(Run, UriKind.Relative), Content(new JsonObject
        {
            ["metric"] = Metric("def metric(event):\n    while True:\n        pass\n"),
            ["event"] = Answer.DeepClone(),
        }.ToJsonString()), leave.Token);
        var holding = Hold();

        // Until the looping run holds the worker, an honest run is served (and is not what this test looks at). The
        // looping run may itself be refused when it arrives while an honest one has the worker (no waiting room): then
        // it is sent again, since only a run that holds the worker makes the next one refused.
        using var refused = await Eventually.ValueAsync(() =>
        {
            if (holding.IsCompleted) holding = Hold();
            return client.PostAsync(new Uri(Run, UriKind.Relative), Content(new JsonObject
            {
                ["metric"] = Metric("def metric(event):\n    return 1\n"),
                ["event"] = Answer.DeepClone(),
            }.ToJsonString()));
        }, r => r.StatusCode == HttpStatusCode.TooManyRequests, "a run refused while the worker is held", TimeSpan.FromSeconds(30));
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => holding);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("waiting", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_inline_metric_changed_in_its_source_runs_the_new_source()
    {
        // code_key hashes the source: an edited metric of the same name must not run the cached old code.
        var first = await PostAsync(Run, new JsonObject { ["metric"] = Metric("def metric(event):\n    return 1\n"), ["event"] = Answer.DeepClone() });
        var second = await PostAsync(Run, new JsonObject { ["metric"] = Metric("def metric(event):\n    return 2\n"), ["event"] = Answer.DeepClone() });

        Assert.Equal(1, first.Body["result"]!.GetValue<double>());
        Assert.Equal(2, second.Body["result"]!.GetValue<double>());
    }

    private static JsonObject Metric(string criteria, string returnType = "float", bool needsGroundTruth = false) => new()
    {
        ["name"] = "metric",
        ["type"] = "PYTHON",
        ["criteria"] = criteria,
        ["return_type"] = returnType,
        ["needs_ground_truth"] = needsGroundTruth,
    };

    /// <summary>A float result of a whole number compares equal whether the service answers 5 or 5.0.</summary>
    private static JsonNode? Normalize(JsonNode? result) =>
        result is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? JsonValue.Create(value.GetValue<double>()) : result;

    private Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string url, JsonObject body, string key = "key-runs-a") =>
        PostRawAsync(url, body.ToJsonString(), key);

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostRawAsync(string url, string body, string key = "key-runs-a")
    {
        using var client = fixture.Client(key);
        using var response = await client.PostAsync(new Uri(url, UriKind.Relative), Content(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{(int)response.StatusCode}: {text}"));
    }

    private static StringContent Content(string body) => new(body, Encoding.UTF8, "application/json");
}
