using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HoneyHive.Bench.Limits;

namespace HoneyHive.Bench.Load;

/// <summary>What the markers of one phase showed.</summary>
/// <param name="Lag">Ack to the marker span itself being returned by the DP API, for markers that appeared.</param>
/// <param name="Spans">Marker spans acknowledged.</param>
/// <param name="Lost">Acknowledged markers that never appeared within the wait: a run with any fails.</param>
public sealed record VisibilityResult(LatencyRecorder Lag, long Spans, long Lost);

/// <summary>
/// Visibility lag under load: every <c>period</c> a one-span marker trace is sent beside the load; its lag
/// is the time from its ack until <c>POST /v1/events/search</c> returns that span (by its trace and span
/// id). A session answering is not enough: it can exist (auto-created, or from another span) before the
/// marker's own row is queryable. A marker that never appears is counted as lost, not left out.
/// </summary>
public static class VisibilityProbe
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(120);

    public static async Task<VisibilityResult> RunAsync(IOtlpSender sender, HttpClient api, TimeSpan period, CancellationToken stop)
    {
        var lag = new LatencyRecorder();
        var watchers = new List<Task<bool>>();
        long spans = 0;
        var factory = new OtlpSpanFactory(seed: 99);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var request = factory.CreateRequest(1);
                var traceId = Guid.NewGuid().ToByteArray();
                var spanId = Guid.NewGuid().ToByteArray()[..8];
                foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
                {
                    span.TraceId = ByteString.CopyFrom(traceId);
                    span.SpanId = ByteString.CopyFrom(spanId);
                    span.Attributes.Remove(span.Attributes.FirstOrDefault(a => a.Key == "honeyhive.session_id"));
                }
                var result = await sender.SendAsync(request, CancellationToken.None);
                if (result.Accepted)
                {
                    spans += result.AcceptedSpans;
                    var acked = Stopwatch.GetTimestamp();
                    // Without a session attribute the session is the trace id; filtering on it too keeps each poll
                    // on the primary key instead of scanning the project's metadata.
                    var sessionId = new Guid(traceId, bigEndian: true).ToString();
                    watchers.Add(WatchAsync(api, sessionId, Convert.ToHexStringLower(traceId), Convert.ToHexStringLower(spanId), acked, lag));
                }
                await Task.Delay(period, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        var seen = await Task.WhenAll(watchers);
        return new VisibilityResult(lag, spans, seen.LongCount(s => !s));
    }

    private static async Task<bool> WatchAsync(HttpClient api, string sessionId, string traceId, string spanId, long acked, LatencyRecorder lag)
    {
        var request = new
        {
            filters = new object[]
            {
                new { field = "session_id", @operator = "is", value = sessionId, type = "string" },
                new { field = "metadata.trace_id", @operator = "is", value = traceId, type = "string" },
                new { field = "metadata.span_id", @operator = "is", value = spanId, type = "string" },
            },
            limit = 1,
        };
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * MaxWait.TotalSeconds);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), request);
                if (response.IsSuccessStatusCode
                    && JsonNode.Parse(await response.Content.ReadAsStringAsync())?["count"]?.GetValue<long>() > 0)
                {
                    lag.Record(Stopwatch.GetElapsedTime(acked));
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        return false;
    }
}
