using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>The whole pipeline in one process: OTLP in, Writer, chDB, the DP query API out.</summary>
public sealed class PipelineTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task A_trace_exported_over_OTLP_comes_back_as_a_session_tree_with_roll_ups()
    {
        using var source = new ActivitySource("e2e-pipeline");
        string sessionId;
        using (var provider = Sdk.CreateTracerProviderBuilder()
                   .AddSource(source.Name)
                   .AddOtlpExporter(o =>
                   {
                       o.Protocol = OtlpExportProtocol.HttpProtobuf;
                       o.Endpoint = new Uri(host.OtlpHttp, "/v1/traces");
                       o.Headers = $"Authorization=Bearer {host.ApiKey}";
                       o.ExportProcessorType = ExportProcessorType.Simple;
                   })
                   .Build())
        {
            using (var root = source.StartActivity("support_agent"))
            {
                root!.SetTag("honeyhive_event_type", "chain");
                root.SetTag("honeyhive.session_auto_create", true);
                sessionId = new Guid(Convert.FromHexString(root.TraceId.ToHexString()), bigEndian: true).ToString();
                using var llm = source.StartActivity("chat gpt-4o-mini", ActivityKind.Client);
                llm!.SetTag("gen_ai.operation.name", "chat");
                llm.SetTag("gen_ai.request.model", "gpt-4o-mini");
                llm.SetTag("gen_ai.usage.input_tokens", 100);
                llm.SetTag("gen_ai.usage.output_tokens", 20);
                llm.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Done."}]}]""");
            }
            Assert.True(provider.ForceFlush(30_000));
        }

        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        JsonObject? session = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync(new Uri($"/v1/sessions/{sessionId}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                session = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                if (Descendants(session).Count() >= 2 && session["metadata"]?["num_events"] is not null) break;
            }
            await Task.Delay(500);
        }

        Assert.NotNull(session);
        Assert.Equal(sessionId, session["event_id"]!.GetValue<string>());
        var chain = Assert.Single(Descendants(session), e => e["event_type"]!.GetValue<string>() == "chain");
        var model = Assert.Single(chain["children"]!.AsArray().OfType<JsonObject>());
        Assert.Equal("model", model["event_type"]!.GetValue<string>());
        Assert.Equal("Done.", model["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal(120, session["metadata"]!["total_tokens"]!.GetValue<double>());
        Assert.True(session["metadata"]!["cost"]!.GetValue<double>() > 0);

        // Another project's valid key never sees it: the session and its events are not found for it.
        var other = await OtherProject.CreateAsync(host);
        using var stranger = host.Client(host.DataPlaneApi, other.Key);
        using var refused = await stranger.GetAsync(new Uri($"/v1/sessions/{sessionId}", UriKind.Relative));
        using var refusedEvent = await stranger.GetAsync(new Uri($"/v1/events/{model["event_id"]!.GetValue<string>()}", UriKind.Relative));
        using var ownEvent = await api.GetAsync(new Uri($"/v1/events/{model["event_id"]!.GetValue<string>()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refusedEvent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownEvent.StatusCode);
    }

    [Fact]
    public async Task Control_characters_quotes_and_backslashes_in_an_event_come_back_from_the_api_unchanged()
    {
        // NUL, CR, backspace and form feed beside the characters that escape SQL, JSON and ClickHouse's text formats.
        var hostile = "nul\0 cr\r lf\n tab\t bs\b ff\f \"double\" 'single' back\\slash \\N \\0 {x:String} ünï 🚀 \u2028 " + Guid.NewGuid();
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        var body = new JsonObject
        {
            ["event_type"] = "tool",
            ["event_name"] = "hostile",
            ["inputs"] = new JsonObject { ["text"] = hostile },
            ["outputs"] = new JsonObject { ["text"] = hostile, ["list"] = new JsonArray(hostile, "plain") },
            ["metadata"] = new JsonObject { ["note"] = hostile },
        };

        using var posted = await api.PostAsync(new Uri("/v1/events", UriKind.Relative), new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var eventId = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["event_id"]!.GetValue<string>();
        var stored = await Eventually.ValueAsync(async () =>
            {
                using var response = await api.GetAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["event"]!.AsObject() : null;
            },
            e => e is not null, $"event {eventId} to be stored");
        using var search = await api.PostAsync(new Uri("/v1/events/search", UriKind.Relative), new StringContent(new JsonObject
        {
            ["filters"] = new JsonArray(new JsonObject { ["field"] = "metadata.note", ["operator"] = "is", ["value"] = hostile, ["type"] = "string" }),
        }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var found = JsonNode.Parse(await search.Content.ReadAsStringAsync())!["events"]!.AsArray();

        Assert.Equal(hostile, stored!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(hostile, stored["outputs"]!["text"]!.GetValue<string>());
        Assert.Equal(hostile, stored["outputs"]!["list"]![0]!.GetValue<string>());
        Assert.Equal(hostile, stored["metadata"]!["note"]!.GetValue<string>());
        // The same text as a filter value finds exactly this event.
        Assert.Equal(eventId, Assert.Single(found)!["event_id"]!.GetValue<string>());
    }

    private static IEnumerable<JsonObject> Descendants(JsonObject node) =>
        node["children"]?.AsArray().OfType<JsonObject>().SelectMany(c => Descendants(c).Prepend(c)) ?? [];
}
