using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Platform.Security;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>HoneyHive's event API (legacy and /v1 routes) on the running single node's DP port.</summary>
public sealed class EventApiTests(HostProcess host) : IClassFixture<HostProcess>
{
    private HttpClient Client() => host.Client(host.DataPlaneApi, host.ApiKey);

    private static async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> PostAsync(HttpClient client, string path, string json)
    {
        var response = await client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        return (response.StatusCode, body, response);
    }

    private readonly DateTime started = DateTime.UtcNow.AddSeconds(-5);

    private Task<List<(string MessageId, JsonObject Event)>> PublishedAsync(Func<JsonObject, bool> match, int expected) =>
        PublishedEvents.WaitForAsync(host.NatsUrl, match, expected, started);

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    private static bool Marked(JsonObject e, string marker) => e["metadata"]?["marker"]?.GetValueKind() == JsonValueKind.String && Str(e["metadata"]!["marker"]) == marker;

    [Fact]
    public async Task Legacy_session_start_takes_a_JSON_string_and_answers_the_full_session_event()
    {
        var marker = Guid.NewGuid().ToString();
        using var client = Client();
        var session = JsonSerializer.Serialize(new { project = "someone-else", session_name = "legacy-start", source = "e2e", metadata = new { marker } });

        var (status, body, _) = await PostAsync(client, "/session/start", JsonSerializer.Serialize(new { session }));
        var published = await PublishedAsync(e => Marked(e, marker), 1);

        Assert.Equal(HttpStatusCode.OK, status);
        var sessionId = Str(body["session_id"]);
        Assert.True(Guid.TryParse(sessionId, out _));
        Assert.Equal(sessionId, Str(body["event_id"]));
        Assert.Equal(host.ProjectId, Str(body["project_id"]));
        Assert.False(string.IsNullOrEmpty(Str(body["org_id"])));
        Assert.False(string.IsNullOrEmpty(Str(body["workspace_id"])));
        Assert.Equal("legacy-start", Str(body["event_name"]));
        var stored = Assert.Single(published).Event;
        Assert.Equal("session", Str(stored["event_type"]));
        Assert.Equal(sessionId, Str(stored["session_id"]));
        Assert.Equal(host.ProjectId, Str(stored["project_id"]));
        Assert.Equal("someone-else", Str(stored["metadata"]!["project_name"]));
        Assert.Equal("e2e", Str(stored["source"]));
    }

    [Fact]
    public async Task V1_sessions_is_idempotent_on_session_id_and_merges_metadata_and_user_properties()
    {
        var clientId = "client-session-" + Guid.NewGuid().ToString("N");
        using var client = Client();

        var first = await PostAsync(client, "/v1/sessions", $$$$"""{"session_id":"{{{{clientId}}}}","session_name":"first","metadata":{"a":1,"b":1},"user_properties":{"u":"x"}}""");
        var second = await PostAsync(client, "/v1/sessions", $$$$"""{"session_id":"{{{{clientId}}}}","session_name":"second","metadata":{"b":2},"user_properties":{"v":"y"}}""");
        var sessionId = Str(first.Body["session_id"]);
        var published = await PublishedAsync(e => e["event_id"]?.GetValue<string>() == sessionId, 2);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.True(Guid.TryParse(sessionId, out _));
        Assert.NotEqual(clientId, sessionId);
        Assert.Equal(sessionId, Str(second.Body["session_id"]));
        Assert.Equal("first", Str(second.Body["event_name"]));
        Assert.Equal(1, second.Body["metadata"]!["a"]!.GetValue<int>());
        Assert.Equal(2, second.Body["metadata"]!["b"]!.GetValue<int>());
        Assert.Equal("x", Str(second.Body["user_properties"]!["u"]));
        Assert.Equal("y", Str(second.Body["user_properties"]!["v"]));
        Assert.Equal(2, published.Count);
        var latest = published.MaxBy(p => p.Event["revision"]!.GetValue<ulong>()).Event;
        Assert.Equal(1UL, latest["revision"]!.GetValue<ulong>());
        Assert.Equal(2, latest["metadata"]!["b"]!.GetValue<int>());
        Assert.Equal("y", Str(latest["user_properties"]!["v"]));
    }

    [Fact]
    public async Task Events_legacy_and_v1_answer_the_event_id_and_publish_with_defaults()
    {
        using var client = Client();
        var marker = Guid.NewGuid().ToString();
        var legacyEvent = JsonSerializer.Serialize(new { event_type = "tool", inputs = new { q = "x", __proto__ = new { polluted = true } }, metadata = new { marker } });

        var legacy = await PostAsync(client, "/events", JsonSerializer.Serialize(new { @event = legacyEvent }));
        var v1 = await PostAsync(client, "/v1/events", $$$$"""{"event_type":"chain","event_name":"step","source":"prod","inputs":{"n":1},"start_time":1700000000000,"end_time":1700000000250,"metadata":{"marker":"{{{{marker}}}}"}}""");
        var published = await PublishedAsync(e => Marked(e, marker), 2);

        Assert.Equal(HttpStatusCode.OK, legacy.Status);
        Assert.True(legacy.Body["success"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        Assert.True(v1.Body["success"]!.GetValue<bool>());
        var tool = published.Single(p => p.Event["event_id"]!.GetValue<string>() == Str(legacy.Body["event_id"])).Event;
        var chain = published.Single(p => p.Event["event_id"]!.GetValue<string>() == Str(v1.Body["event_id"])).Event;
        Assert.Equal("unknown", Str(tool["event_name"]));
        Assert.Equal("unknown", Str(tool["source"]));
        Assert.Equal(Str(tool["session_id"]), Str(tool["parent_id"]));
        Assert.Equal(host.ProjectId, Str(tool["project_id"]));
        Assert.True(tool["inputs"]!["___proto__"]!["polluted"]!.GetValue<bool>());
        Assert.Null(tool["inputs"]!["__proto__"]);
        Assert.Equal("step", Str(chain["event_name"]));
        Assert.Equal("prod", Str(chain["source"]));
        Assert.Equal(250, chain["duration"]!.GetValue<double>());
    }

    [Fact]
    public async Task Batch_routes_answer_their_shapes_and_publish_every_event()
    {
        using var client = Client();
        var marker = Guid.NewGuid().ToString();
        var evt = $$$$"""{"event_type":"tool","inputs":{},"metadata":{"marker":"{{{{marker}}}}"}}""";

        var legacy = await PostAsync(client, "/events/batch", $$$$"""{"events":[{{{{evt}}}},{{{{evt}}}}],"is_single_session":true,"session":{"session_name":"legacy-batch","metadata":{"marker":"{{{{marker}}}}"}}}""");
        var v1 = await PostAsync(client, "/v1/events/batch", $$$$"""{"events":[{{{{evt}}}}],"single_session":true,"session_properties":{"session_name":"v1-batch"}}""");
        var target = Guid.NewGuid().ToString();
        var toSession = await PostAsync(client, $"/v1/sessions/{target}/events/batch", $$"""{"events":[{{evt}},{{evt}}]}""");
        var published = await PublishedAsync(e => Marked(e, marker), 6);

        Assert.Equal(HttpStatusCode.OK, legacy.Status);
        Assert.Equal(2, legacy.Body["event_ids"]!.AsArray().Count);
        Assert.True(legacy.Body["success"]!.GetValue<bool>());
        var legacySession = Str(legacy.Body["session_id"]);
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        Assert.Single(v1.Body["event_ids"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, toSession.Status);
        Assert.Equal("""{"success":true}""", toSession.Body.ToJsonString());

        var legacySessionEvent = published.Single(p => Str(p.Event["event_type"]) == "session").Event;
        Assert.Equal(legacySession, Str(legacySessionEvent["event_id"]));
        Assert.Equal("legacy-batch", Str(legacySessionEvent["event_name"]));
        foreach (var id in legacy.Body["event_ids"]!.AsArray())
            Assert.Equal(legacySession, Str(published.Single(p => Str(p.Event["event_id"]) == Str(id)).Event["session_id"]));
        Assert.Equal(Str(v1.Body["session_id"]), Str(published.Single(p => Str(p.Event["event_id"]) == Str(v1.Body["event_ids"]![0])).Event["session_id"]));
        Assert.Equal(2, published.Count(p => Str(p.Event["session_id"]) == target && Str(p.Event["event_type"]) == "tool"));
    }

    [Fact]
    public async Task Model_routes_remap_model_fields_into_buckets()
    {
        using var client = Client();
        var model = """
            {"model":"gpt-4o","provider":"openai","messages":[{"role":"user","content":"hi"}],"response":{"role":"assistant","content":"hello"},
             "usage":{"prompt_tokens":3,"completion_tokens":2},"cost":0.01,"hyperparameters":{"temperature":0.1},"duration":42,"event_name":"answer"}
            """;

        var single = await PostAsync(client, "/events/model", $$"""{"model_event":{{model}}}""");
        var batch = await PostAsync(client, "/events/model/batch", $$"""{"model_events":[{{model}},{{model}}]}""");
        var ids = new HashSet<string> { Str(single.Body["event_id"]) };
        ids.UnionWith(batch.Body["event_ids"]!.AsArray().Select(Str));
        var published = await PublishedAsync(e => ids.Contains(Str(e["event_id"])), 3);

        Assert.Equal(HttpStatusCode.OK, single.Status);
        Assert.True(single.Body["success"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        Assert.Equal(3, published.Count);
        var stored = published.Single(p => Str(p.Event["event_id"]) == Str(single.Body["event_id"])).Event;
        Assert.Equal("model", Str(stored["event_type"]));
        Assert.Equal("gpt-4o", Str(stored["config"]!["model"]));
        Assert.Equal("openai", Str(stored["config"]!["provider"]));
        Assert.Equal(0.1, stored["config"]!["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal("hi", Str(stored["inputs"]!["chat_history"]![0]!["content"]));
        Assert.Equal("hello", Str(stored["outputs"]!["content"]));
        Assert.Equal(5, stored["metadata"]!["total_tokens"]!.GetValue<double>());
        Assert.Equal(0.01, stored["metadata"]!["cost"]!.GetValue<double>());
        Assert.Equal(42, stored["duration"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("/v1/events", "{\"event_type\":", "not valid JSON")]
    [InlineData("/v1/events", "[1]", "must be a JSON object")]
    [InlineData("/v1/events", "{\"inputs\":{}}", "'event_type' is required")]
    [InlineData("/v1/events", "{\"event_type\":\"span\",\"inputs\":{}}", "must be one of session, model, tool, chain")]
    [InlineData("/v1/events", "{\"event_type\":\"tool\"}", "'inputs' is required")]
    [InlineData("/v1/events", "{\"event_type\":\"tool\",\"inputs\":[]}", "'inputs' must be a JSON object, not an array")]
    [InlineData("/events", "{\"event\":\"not json\"}", "'event' (a JSON-encoded string) is not valid JSON")]
    [InlineData("/v1/events/batch", "{\"events\":{}}", "'events' must be an array")]
    [InlineData("/session/start", "{\"session\":{\"metadata\":5}}", "'session.metadata' must be a JSON object")]
    public async Task Bad_requests_get_400_problem_details_naming_the_field(string path, string body, string detail)
    {
        using var client = Client();

        var (status, problem, response) = await PostAsync(client, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, Str(problem["detail"]), StringComparison.Ordinal);
        Assert.Equal(400, problem["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Too_large_bodies_and_batches_get_413()
    {
        using var client = Client();
        var tooMany = "{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"event_type\":\"tool\",\"inputs\":{}}", 10_001)) + "]}";
        var huge = "{\"event_type\":\"tool\",\"inputs\":{\"blob\":\"" + new string('x', 17 * 1024 * 1024) + "\"}}";

        var batch = await PostAsync(client, "/v1/events/batch", tooMany);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/events", UriKind.Relative)) { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var body = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, batch.Status);
        Assert.Contains("at most 10000", Str(batch.Body["detail"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, body.StatusCode);
        Assert.Equal("application/problem+json", body.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Missing_unknown_and_unscoped_keys_get_401_and_403_problem_details()
    {
        using var anonymous = host.Client(host.DataPlaneApi);
        using var wrongKey = host.Client(host.DataPlaneApi, "hh_not_a_real_key");
        var readOnlyKey = await CreateKeyAsync(["read"]);
        using var readOnly = host.Client(host.DataPlaneApi, readOnlyKey);
        const string evt = """{"event_type":"tool","inputs":{}}""";

        var missing = await PostAsync(anonymous, "/v1/events", evt);
        var unknown = await PostAsync(wrongKey, "/events/batch", "{\"events\":[]}");
        var forbidden = HttpStatusCode.Unauthorized;
        JsonObject forbiddenBody = [];
        // The key reaches the DP through the controllers' sync; wait until it is known.
        for (var i = 0; i < 60 && forbidden == HttpStatusCode.Unauthorized; i++)
        {
            await Task.Delay(500);
            (forbidden, forbiddenBody, _) = await PostAsync(readOnly, "/v1/sessions", "{}");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("application/problem+json", missing.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Authorization: Bearer", Str(missing.Body["detail"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains("scope", Str(forbiddenBody["detail"]), StringComparison.Ordinal);
    }

    private async Task<string> CreateKeyAsync(string[] scopes)
    {
        var key = ApiKeys.Generate();
        await using var cpdb = new NpgsqlConnection(host.CpdbConnectionString);
        await cpdb.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes) VALUES ($1, $2, 'e2e read-only', $3, $4, $5)", cpdb);
        insert.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
        insert.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(host.ProjectId) });
        insert.Parameters.Add(new NpgsqlParameter { Value = ApiKeys.DisplayPrefix(key) });
        insert.Parameters.Add(new NpgsqlParameter { Value = ApiKeys.Hash(key) });
        insert.Parameters.Add(new NpgsqlParameter { Value = scopes });
        await insert.ExecuteNonQueryAsync();
        return key;
    }
}

/// <summary>A Host on its own NATS server whose backlog limit is below zero, so it always reports back-pressure.</summary>
public sealed class OverloadedHost : HostWithPrivateNats
{
    public OverloadedHost()
    {
        // A backlog limit below zero: every poll finds the backlog over it.
        ExtraEnvironment["Ingestion__Backpressure__MaxBacklogMessages"] = "-1";
        ExtraEnvironment["Ingestion__Backpressure__PollInterval"] = "00:00:00.200";
    }
}

public sealed class EventApiBackpressureTests(OverloadedHost host) : IClassFixture<OverloadedHost>
{
    [Fact]
    public async Task An_over_limit_backlog_gets_429_and_a_down_message_log_503_both_with_Retry_After()
    {
        using var client = host.Client(host.DataPlaneApi, host.ApiKey, retryBackpressure: false);
        const string evt = """{"event_type":"tool","inputs":{}}""";
        var status = HttpStatusCode.OK;
        HttpResponseMessage? overloaded = null;
        for (var i = 0; i < 50 && status != HttpStatusCode.TooManyRequests; i++)
        {
            overloaded?.Dispose();
            overloaded = await client.PostAsync(new Uri("/v1/events", UriKind.Relative), new StringContent(evt, Encoding.UTF8, "application/json"));
            status = overloaded.StatusCode;
            if (status != HttpStatusCode.TooManyRequests) await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.NotNull(overloaded!.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", overloaded.Content.Headers.ContentType?.MediaType);
        overloaded.Dispose();

        await host.Nats.StopAsync();
        // The client notices the lost connection within moments; until then the backlog still answers 429.
        HttpResponseMessage down = null!;
        for (var i = 0; i < 60; i++)
        {
            down = await client.PostAsync(new Uri("/session/start", UriKind.Relative), new StringContent("""{"session":{}}""", Encoding.UTF8, "application/json"));
            if (down.StatusCode == HttpStatusCode.ServiceUnavailable) break;
            down.Dispose();
            await Task.Delay(250);
        }
        using var _ = down;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.NotNull(down.Headers.RetryAfter?.Delta);
        var problem = JsonNode.Parse(await down.Content.ReadAsStringAsync())!;
        Assert.Contains("Retry later", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await host.Nats.StartAgainAsync();
    }
}

