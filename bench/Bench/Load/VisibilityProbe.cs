using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using HoneyHive.Bench.Limits;

namespace HoneyHive.Bench.Load;

/// <summary>
/// Visibility lag under load: every <c>period</c> a one-span marker trace is sent beside the load; its lag
/// is the time from its ack until its session answers on the DP API with the span.
/// </summary>
public static class VisibilityProbe
{
    public static async Task<(LatencyRecorder Lag, long Spans)> RunAsync(IOtlpSender sender, HttpClient api, TimeSpan period, CancellationToken stop)
    {
        var lag = new LatencyRecorder();
        var watchers = new List<Task>();
        long spans = 0;
        var factory = new OtlpSpanFactory(seed: 99);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var request = factory.CreateRequest(1);
                var traceId = Guid.NewGuid().ToByteArray();
                foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
                {
                    span.TraceId = ByteString.CopyFrom(traceId);
                    // The session is then the trace id, which the probe knows.
                    span.Attributes.Remove(span.Attributes.FirstOrDefault(a => a.Key == "honeyhive.session_id"));
                }
                var result = await sender.SendAsync(request, CancellationToken.None);
                if (result.Accepted)
                {
                    spans += result.AcceptedSpans;
                    var acked = Stopwatch.GetTimestamp();
                    var sessionId = new Guid(traceId, bigEndian: true).ToString();
                    watchers.Add(WatchAsync(api, sessionId, acked, lag));
                }
                await Task.Delay(period, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await Task.WhenAll(watchers);
        return (lag, spans);
    }

    private static async Task WatchAsync(HttpClient api, string sessionId, long acked, LatencyRecorder lag)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await api.GetAsync(new Uri($"/v1/sessions/{sessionId}", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lag.Record(Stopwatch.GetElapsedTime(acked));
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
    }
}
