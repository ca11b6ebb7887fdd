using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.OfficialSdk;

/// <summary>
/// OpenTelemetry JS's own trace and log exporters (tests/sdk/otel-genai-logs.mjs, the npm @opentelemetry packages)
/// against the Host's OTLP/HTTP listener: the GenAI events a JS instrumentation emits land in their model span.
/// </summary>
public sealed class OtelJsLogsTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task The_OpenTelemetry_js_log_exporter_puts_GenAI_events_into_their_span_in_order()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var output = JsonNode.Parse(await NodeScript.RunAsync("otel-genai-logs.mjs", host.OtlpHttp.ToString().TrimEnd('/'), host.ApiKey, marker))!;
        var traceId = output["trace_id"]!.GetValue<string>();
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);

        var events = await Eventually.ValueAsync(() => OtlpIngestionTests.StoredAsync(api, traceId),
            found => found.Any(e => e["event_type"]!.GetValue<string>() == "model" && e["outputs"]?["content"] is not null
                && e["inputs"]?["chat_history"] is JsonArray { Count: >= 2 }),
            "the model span with its prompt and answer");

        var model = Assert.Single(events, e => e["event_type"]!.GetValue<string>() == "model");
        var history = model["inputs"]!["chat_history"]!.AsArray();
        Assert.Equal(["system", "user"], history.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("You answer in one word.", history[0]!["content"]!.GetValue<string>());
        Assert.Equal($"Capital of France? {marker}", history[1]!["content"]!.GetValue<string>());
        Assert.Equal("Paris", model["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", model["outputs"]!["finish_reason"]!.GetValue<string>());
        // The GenAI events are inside the span, not events of their own.
        Assert.DoesNotContain(events, e => e["event_type"]!.GetValue<string>() != "model" && e["event_type"]!.GetValue<string>() != "session");
    }
}
