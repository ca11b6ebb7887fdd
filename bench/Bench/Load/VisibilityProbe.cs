using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HoneyHive.Bench.Limits;

namespace HoneyHive.Bench.Load;

/// <summary>What the markers of one phase showed.</summary>
/// <param name="Lag">First attempt (refusals and retries included) to the marker span itself being returned by the DP API, for markers that appeared.</param>
/// <param name="Spans">Marker spans acknowledged.</param>
/// <param name="Lost">Markers that were not acknowledged, or never appeared, within the wait: a run with any fails.</param>
public sealed record VisibilityResult(LatencyRecorder Lag, long Spans, long Lost);

/// <summary>
/// Visibility lag under load: every <c>period</c> a one-span marker trace is sent beside the load; its lag
/// is the time from its first attempt (a marker refused by back-pressure is retried after Retry-After and
/// the refused time counts) until <c>POST /v1/events/search</c> returns that span (by its trace and span
/// id). A session answering is not enough: it can exist (auto-created, or from another span) before the
/// marker's own row is queryable. A marker that never appears is counted as lost, not left out.
/// <para>
/// The markers take turns: one search is in flight at a time (waiters queue in order), as one user watching a
/// live view would poll. The store runs one statement at a time, so when every outstanding marker polled on its
/// own (about 30 of them, every 50 ms, once the lag reached 15 s) the probe's searches queued ahead of the
/// Writer's inserts and slowed the very pipeline it measured. A marker's lag can be over-stated by the time
/// it waits for its turn, never under-stated.
/// </para>
/// </summary>
public static class VisibilityProbe
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(120);

    /// <summary>Longest wait between attempts of a refused marker, as the load's own requests (LoadPlan.MaxRetryDelay).</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    public static async Task<VisibilityResult> RunAsync(IOtlpSender sender, HttpClient api, TimeSpan period, CancellationToken stop)
    {
        var lag = new LatencyRecorder();
        using var oneSearchAtATime = new SemaphoreSlim(1, 1);
        var markers = new List<Task<(bool Seen, long Spans)>>();
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
                // Each marker on its own: one held back by back-pressure must not delay the next one's schedule.
                markers.Add(MarkAsync(sender, api, oneSearchAtATime, request, traceId, spanId, lag));
                await Task.Delay(period, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        var results = await Task.WhenAll(markers);
        return new VisibilityResult(lag, results.Sum(r => r.Spans), results.LongCount(r => !r.Seen));
    }

    /// <summary>
    /// Sends the marker until it is accepted, as an exporter would after 429/503 (after Retry-After), then watches
    /// for it. Its lag runs from when it was due, its first attempt: time spent refused by back-pressure is lag the
    /// user sees too, and a marker refused until the wait ends is lost, never left out.
    /// </summary>
    private static async Task<(bool Seen, long Spans)> MarkAsync(IOtlpSender sender, HttpClient api, SemaphoreSlim searchTurn, OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest request,
        byte[] traceId, byte[] spanId, LatencyRecorder lag)
    {
        var due = Stopwatch.GetTimestamp();
        while (true)
        {
            var result = await sender.SendAsync(request, CancellationToken.None);
            if (result.Accepted)
            {
                // Without a session attribute the session is the trace id; filtering on it too keeps each poll
                // on the primary key instead of scanning the project's metadata.
                var sessionId = new Guid(traceId, bigEndian: true).ToString();
                var seen = await WatchAsync(api, searchTurn, sessionId, Convert.ToHexStringLower(traceId), Convert.ToHexStringLower(spanId), due, lag);
                return (seen, result.AcceptedSpans);
            }
            var retry = result.RetryAfter is { } after && after < MaxRetryDelay ? after : MaxRetryDelay;
            if (!result.Retryable || Stopwatch.GetElapsedTime(due) + retry > MaxWait) return (false, 0);
            await Task.Delay(retry);
        }
    }

    private static async Task<bool> WatchAsync(HttpClient api, SemaphoreSlim searchTurn, string sessionId, string traceId, string spanId, long due, LatencyRecorder lag)
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
        var deadline = due + (long)(Stopwatch.Frequency * MaxWait.TotalSeconds);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await searchTurn.WaitAsync();
            try
            {
                using var response = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), request);
                if (response.IsSuccessStatusCode
                    && JsonNode.Parse(await response.Content.ReadAsStringAsync())?["count"]?.GetValue<long>() > 0)
                {
                    lag.Record(Stopwatch.GetElapsedTime(due));
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            finally
            {
                searchTurn.Release();
            }
            await Task.Delay(50);
        }
        return false;
    }
}
