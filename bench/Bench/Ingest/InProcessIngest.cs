extern alias ingestion;
using System.Diagnostics;
using System.Text;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Report;
using ingestion::HoneyHive.Ingestion.Events;
using ingestion::HoneyHive.Ingestion.Normalization;
using ingestion::HoneyHive.Ingestion.Publishing;
using Google.Protobuf;
// Ingestion's own copy of the OTLP types (the bench compiles the same protos for its client).
using ExportTraceServiceRequest = ingestion::OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest;

namespace HoneyHive.Bench.Ingest;

/// <summary>
/// Ingestion's own work per event, in this process on one thread, no server and no network: parse the
/// body, normalize, write the published event JSON. For OTLP (a 100-span protobuf request, as `bench
/// ingest` sends) and the event API (a 100-event <c>/v1/events/batch</c> body). CPU time is the
/// process's (the GC's threads included) and allocation the thread's; both per event. What the Host
/// spends per span beyond these figures is the server around them (HTTP/gRPC, auth, NATS, GC of it).
/// </summary>
public static class InProcessIngest
{
    private const int EventsPerRequest = 100;
    private static readonly Tenant Tenant = new(Guid.NewGuid().ToString(), "workspace", "org");

    public static IEnumerable<Measurement> Measure()
    {
        var limits = new IngestLimits();
        var otlp = new OtlpSpanFactory(seed: 7).CreateRequest(EventsPerRequest).ToByteArray();
        yield return Run("inprocess.otlp", () =>
        {
            var request = ExportTraceServiceRequest.Parser.ParseFrom(otlp);
            using var batch = new EventJsonBatch();
            foreach (var resource in request.ResourceSpans)
            foreach (var scope in resource.ScopeSpans)
            foreach (var span in scope.Spans)
            {
                using var record = SpanNormalizer.Normalize(resource.Resource, scope.Scope, span, Tenant, limits).Event!;
                batch.Add(record);
            }
            return batch.Count;
        });

        var normalizer = new EventNormalizer(limits, TimeProvider.System);
        var events = EventBatchBody(EventsPerRequest);
        yield return Run("inprocess.event_api", () =>
        {
            using var body = EventRequestBody.ParseDocument(events, "The request body");
            using var outcome = EventRequests.CreateEventBatch(body.RootElement, Tenant, normalizer, limits);
            return outcome.Events.Count;
        });
    }

    /// <summary>µs of CPU and KB allocated per event over enough requests to take a couple of seconds.</summary>
    private static Measurement Run(string name, Func<int> request)
    {
        // Long enough for tiered compilation to have replaced the first code (its compiler's CPU counts in the process's).
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(2)) request();
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var wall = Stopwatch.StartNew();
        long events = 0;
        var requests = 0;
        while (wall.Elapsed < TimeSpan.FromSeconds(3) || requests < 20)
        {
            events += request();
            requests++;
        }
        self.Refresh();
        var cpuPerEvent = (self.TotalProcessorTime - cpuBefore).TotalMicroseconds / events;
        var kbPerEvent = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 1024.0 / events;
        return new Measurement(name, "cpu µs/event", cpuPerEvent, $"{kbPerEvent:0.0} KB allocated per event, {events:N0} events");
    }

    /// <summary>A /v1/events/batch body of model events as the SDKs send them: chat history, a completion, config and token counts.</summary>
    public static byte[] EventBatchBody(int count)
    {
        var random = new Random(11);
        var session = Guid.NewGuid().ToString();
        var json = new StringBuilder("{\"events\":[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0) json.Append(',');
            var start = 1_765_000_000_000L + i * 1000;
            json.Append($$$"""
                {"event_type":"{{{(i % 3 == 0 ? "model" : i % 3 == 1 ? "tool" : "chain")}}}","event_name":"step-{{{i}}}","source":"bench",
                "session_id":"{{{session}}}","event_id":"{{{Guid.NewGuid()}}}","start_time":{{{start}}},"end_time":{{{start + random.Next(50, 900)}}},
                "config":{"model":"gpt-4o-mini","provider":"openai","temperature":0.2,"max_tokens":512},
                "inputs":{"chat_history":[{"role":"system","content":"You are a helpful assistant for order {{{i}}}."},{"role":"user","content":"{{{new string('q', 300)}}}"}]},
                "outputs":{"role":"assistant","content":"{{{new string('a', 400)}}}"},
                "metadata":{"prompt_tokens":{{{random.Next(100, 900)}}},"completion_tokens":{{{random.Next(10, 300)}}},"cost":0.00042,"tags":["a","b"],"nested":{"k":"v","n":1}},
                "metrics":{"score":0.5},"feedback":{},"user_properties":{"user_id":"u-{{{i % 7}}}"}}
                """);
        }
        json.Append("]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
