using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Collections;
using HoneyHive.Bench.Report;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// Google.Protobuf parsing of OTLP export requests (100 GenAI spans each), alone and with a
/// walk over every attribute value, which is the least any normalizer has to do.
/// </summary>
public sealed class OtlpDecodeLimit : ILimit
{
    public const string DecodeName = "otlp.decode";
    public const string DecodeWalkName = "otlp.decode+walk";

    private const int SpansPerRequest = 100;
    private const int DistinctRequests = 16;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(3);

    public string Name => "otlp decode";

    public IReadOnlyList<string> RequiredEnvironment => [];

    public Task<IReadOnlyList<Measurement>> MeasureAsync(CancellationToken ct)
    {
        var factory = new OtlpSpanFactory(seed: 42);
        // Several distinct payloads so the loop does not parse one cache-hot buffer.
        var payloads = Enumerable.Range(0, DistinctRequests).Select(_ => factory.CreateRequest(SpansPerRequest).ToByteArray()).ToArray();
        var averageBytes = (long)payloads.Average(p => p.Length);

        var (spans, elapsed) = Run(payloads, walk: false, WarmUp, ct);
        (spans, elapsed) = Run(payloads, walk: false, Measure, ct);
        var decodeRequests = spans / SpansPerRequest;

        var (walkSpans, walkElapsed) = Run(payloads, walk: true, WarmUp, ct);
        (walkSpans, walkElapsed) = Run(payloads, walk: true, Measure, ct);

        var note = $"{SpansPerRequest} spans/request, {averageBytes / SpansPerRequest:N0} B/span, {averageBytes / 1024.0:0.0} KB/request";
        IReadOnlyList<Measurement> results =
        [
            new Measurement(DecodeName, "spans/s", Rates.PerSecond(spans, elapsed), note),
            new Measurement(DecodeName, "MB/s", Rates.MegabytesPerSecond(decodeRequests * averageBytes, elapsed)),
            new Measurement(DecodeWalkName, "spans/s", Rates.PerSecond(walkSpans, walkElapsed), "parse + visit every attribute value"),
        ];
        return Task.FromResult(results);
    }

    private static (long Spans, TimeSpan Elapsed) Run(byte[][] payloads, bool walk, TimeSpan duration, CancellationToken ct)
    {
        long spans = 0;
        long checksum = 0;
        var i = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            ct.ThrowIfCancellationRequested();
            var request = ExportTraceServiceRequest.Parser.ParseFrom(payloads[i++ % payloads.Length]);
            foreach (var resourceSpans in request.ResourceSpans)
            {
                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    spans += scopeSpans.Spans.Count;
                    if (!walk)
                    {
                        continue;
                    }

                    checksum += Walk(resourceSpans.Resource.Attributes);
                    foreach (var span in scopeSpans.Spans)
                    {
                        checksum += span.TraceId.Length + span.SpanId.Length + span.Name.Length + (long)(span.EndTimeUnixNano - span.StartTimeUnixNano);
                        checksum += Walk(span.Attributes);
                    }
                }
            }
        }

        sw.Stop();
        // Keeps the walk observable so the JIT cannot drop it.
        if (walk && checksum == 0)
        {
            throw new InvalidOperationException("The attribute walk saw no data.");
        }

        return (spans, sw.Elapsed);
    }

    private static long Walk(RepeatedField<KeyValue> attributes)
    {
        long sum = 0;
        foreach (var attribute in attributes)
        {
            sum += attribute.Key.Length + Walk(attribute.Value);
        }

        return sum;
    }

    private static long Walk(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue.Length,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? 1 : 0,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => (long)value.DoubleValue,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.Length,
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Sum(Walk),
        AnyValue.ValueOneofCase.KvlistValue => Walk(value.KvlistValue.Values),
        _ => 0,
    };
}
