using HoneyHive.Ingestion.Normalization;
using HoneyHive.LlmProxy.Calls;

namespace HoneyHive.LlmProxy.Tracing;

/// <summary>Where a call's model event hangs: its session, its parent, and the caller's trace and span when it sent one.</summary>
public sealed record TraceLinks(string SessionId, string ParentId, string? TraceId, string? ParentSpanId)
{
    /// <summary>
    /// The same rules as ingestion: <c>X-HH-Session-Id</c> is a client id, normalized per project as the event API
    /// normalizes one (a UUID kept, anything else mapped to a stable UUID); a W3C <c>traceparent</c> makes the call a child
    /// of the caller's span, in the session of its trace, as an OTLP span with that parent would be; a session id given
    /// with a traceparent wins for the session, as <c>honeyhive.session_id</c> wins over the trace in OTLP. With neither,
    /// the event API gives a model event a session id of its own (and no session row), and so does this.
    /// </summary>
    public static TraceLinks For(CallScope scope)
    {
        var project = scope.ProjectId.ToString();
        string? session = scope.SessionId is { } given && given.Trim().Length > 0 ? EventIds.Normalize(given.Trim(), project) : null;
        if (TryParseTraceParent(scope.TraceParent, out var traceId, out var spanId))
        {
            session ??= EventIds.ForTrace(traceId);
            return new TraceLinks(session, EventIds.ForSpan(traceId, spanId), Convert.ToHexStringLower(traceId), Convert.ToHexStringLower(spanId));
        }
        session ??= Guid.NewGuid().ToString();
        return new TraceLinks(session, session, null, null);
    }

    /// <summary>
    /// <c>version-traceid-parentid-flags</c> (W3C Trace Context): two hex digits each side, 32 and 16 hex digits, neither id all
    /// zeros; version ff is invalid. A later version may append fields, which are ignored.
    /// </summary>
    public static bool TryParseTraceParent(string? header, out byte[] traceId, out byte[] spanId)
    {
        traceId = [];
        spanId = [];
        if (header is null) return false;
        var parts = header.Trim().Split('-');
        if (parts.Length < 4 || parts[0].Length != 2 || parts[1].Length != 32 || parts[2].Length != 16 || parts[3].Length != 2) return false;
        if (!IsLowerHex(parts[0]) || parts[0] == "ff" || (parts[0] == "00" && parts.Length != 4)) return false;
        if (!IsLowerHex(parts[1]) || !IsLowerHex(parts[2]) || !IsLowerHex(parts[3])) return false;
        traceId = Convert.FromHexString(parts[1]);
        spanId = Convert.FromHexString(parts[2]);
        return traceId.Any(b => b != 0) && spanId.Any(b => b != 0);
    }

    private static bool IsLowerHex(string value) => value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
