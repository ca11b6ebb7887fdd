using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.EndToEnd.Tests.Evaluation;

/// <summary>Online evaluation through the real Host: a metric deployed through the API scores OTLP spans it matches.</summary>
public sealed class OnlineEvaluationEndToEndTests(PythonHostProcess host) : IClassFixture<PythonHostProcess>
{
    [Fact]
    public async Task A_python_metric_enabled_in_prod_scores_the_span_it_matches_and_not_the_one_its_filter_excludes()
    {
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        using var otlp = host.Client(host.OtlpHttp, host.ApiKey);
        var name = "span_name_length_" + Guid.NewGuid().ToString("N")[..8];
        using (var created = await api.PostAsJsonAsync(new Uri("/v1/metrics", UriKind.Relative), new JsonObject
        {
            ["name"] = name,
            ["type"] = "PYTHON",
            ["criteria"] = "def metric(event):\n    return len(event['config']['model'])\n",
            ["return_type"] = "float",
            ["enabled_in_prod"] = true,
            ["sampling_percentage"] = 100,
            ["filters"] = new JsonObject
            {
                ["filterArray"] = new JsonArray(new JsonObject { ["field"] = "event_name", ["operator"] = "is", ["value"] = "answer", ["type"] = "string" }),
            },
        }))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var traceId = Guid.NewGuid().ToByteArray();
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { Span(traceId, "answer"), Span(traceId, "retrieve") } } } } },
        };
        using (var sent = await OtlpIngestionTests.PostProtobufAsync(otlp, request.ToByteArray()))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        var trace = Convert.ToHexStringLower(traceId);
        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, trace), e => e.Count == 2, "both spans stored");
        var answerId = events.Single(e => e["event_name"]!.GetValue<string>() == "answer")["event_id"]!.GetValue<string>();
        var retrieveId = events.Single(e => e["event_name"]!.GetValue<string>() == "retrieve")["event_id"]!.GetValue<string>();

        JsonObject? answer;
        try
        {
            answer = await Eventually.ValueAsync(() => EventAsync(api, answerId), e => e?["metrics"]?[name] is not null, "the answer span's score");
        }
        catch (Xunit.Sdk.XunitException missing)
        {
            // What the Host said about evaluation is the first thing to read when no score came.
            var said = string.Join('\n', host.Output.Split('\n').Where(l => l.Contains("valuat", StringComparison.OrdinalIgnoreCase)).TakeLast(40));
            throw new Xunit.Sdk.XunitException($"{missing.Message}\nHost lines about evaluation:\n{said}");
        }
        // "gpt-4o" has six characters.
        Assert.Equal(6, answer!["metrics"]![name]!.GetValue<double>());

        // The session's tree shows the scored span with its score.
        var sessionId = answer["session_id"]!.GetValue<string>();
        using (var session = await api.GetAsync(new Uri($"/v1/sessions/{sessionId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, session.StatusCode);
            var tree = JsonNode.Parse(await session.Content.ReadAsStringAsync())!;
            var scored = Flatten(tree).Single(n => n["event_id"]?.GetValue<string>() == answerId);
            Assert.Equal(6, scored["metrics"]![name]!.GetValue<double>());
        }

        // The excluded span got no task: once the scored one has its score, the other one still has none.
        var retrieve = await EventAsync(api, retrieveId);
        Assert.NotNull(retrieve);
        Assert.Null(retrieve!["metrics"]?[name]);
    }

    private static Span Span(byte[] traceId, string name) => new()
    {
        TraceId = ByteString.CopyFrom(traceId),
        SpanId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()[..8]),
        Name = name,
        StartTimeUnixNano = 1_700_000_000_000_000_000,
        EndTimeUnixNano = 1_700_000_000_100_000_000,
        Attributes = { new KeyValue { Key = "gen_ai.request.model", Value = new AnyValue { StringValue = "gpt-4o" } } },
    };

    private static async Task<JsonObject?> EventAsync(HttpClient api, string eventId)
    {
        using var response = await api.GetAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative));
        if (response.StatusCode != HttpStatusCode.OK) return null;
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (body["event"] ?? body) as JsonObject;
    }

    private static IEnumerable<JsonObject> Flatten(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            yield return obj;
            foreach (var child in (obj["children"] as JsonArray ?? []).OfType<JsonNode>())
                foreach (var below in Flatten(child)) yield return below;
            if (obj["session"] is JsonNode session)
                foreach (var below in Flatten(session)) yield return below;
        }
    }
}
