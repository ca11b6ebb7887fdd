using System.Buffers.Binary;
using Google.Protobuf;

namespace HoneyHive.Bench.Load;

/// <summary>A span's own identity: its trace id and span id (OTLP's unique key for a span).</summary>
public readonly record struct SpanKey(ulong TraceHigh, ulong TraceLow, ulong SpanId)
{
    public static SpanKey From(ByteString traceId, ByteString spanId) => From(traceId.Span, spanId.Span);

    public static SpanKey From(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId) => new(
        BinaryPrimitives.ReadUInt64BigEndian(traceId[..8]),
        BinaryPrimitives.ReadUInt64BigEndian(traceId[8..16]),
        BinaryPrimitives.ReadUInt64BigEndian(spanId[..8]));

    /// <summary>From the hex ids the platform keeps in <c>metadata.trace_id</c> and <c>metadata.span_id</c>.</summary>
    public static SpanKey? FromHex(string? traceId, string? spanId)
    {
        if (traceId is not { Length: 32 } || spanId is not { Length: 16 }) return null;
        try
        {
            return From(Convert.FromHexString(traceId), Convert.FromHexString(spanId));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// Every span the server acknowledged in one run, so the run can end by checking the store for each of
/// them. A span is recorded once, when its request is finally acknowledged (a retried request carries
/// the same spans, so a span acked after retries still counts once).
/// </summary>
public sealed class SpanLedger(string runId)
{
    private readonly HashSet<SpanKey> acknowledged = [];
    private readonly Dictionary<string, long> sessionPromptTokens = [];
    private long sent;
    private long gaveUp;

    /// <summary>The value of the <c>bench_run_id</c> span attribute of this run's spans.</summary>
    public string RunId { get; } = runId;

    public long Sent => Interlocked.Read(ref sent);

    /// <summary>Spans whose request was still refused when its retry budget ran out (never acknowledged).</summary>
    public long GaveUp => Interlocked.Read(ref gaveUp);

    public int Acknowledged { get { lock (acknowledged) return acknowledged.Count; } }

    public void Sending(int spans) => Interlocked.Add(ref sent, spans);

    public void GiveUp(int spans) => Interlocked.Add(ref gaveUp, spans);

    /// <summary>
    /// Records an acknowledged request: its spans, and its session with the prompt tokens of its model
    /// spans (what the session roll-up view must add up to when each span is inserted once).
    /// </summary>
    public void Acknowledge(IEnumerable<SpanKey> keys, string? sessionId = null, long promptTokens = 0)
    {
        lock (acknowledged)
        {
            foreach (var key in keys) acknowledged.Add(key);
            if (sessionId is not null) sessionPromptTokens[sessionId] = promptTokens;
        }
    }

    /// <summary>Acknowledged sessions and the prompt tokens each one's model spans carry.</summary>
    public IReadOnlyDictionary<string, long> SessionPromptTokens()
    {
        lock (acknowledged) return new Dictionary<string, long>(sessionPromptTokens);
    }

    public bool Contains(SpanKey key)
    {
        lock (acknowledged) return acknowledged.Contains(key);
    }

    public IReadOnlyCollection<SpanKey> Snapshot()
    {
        lock (acknowledged) return acknowledged.ToArray();
    }
}
