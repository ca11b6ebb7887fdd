using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>
/// Event and session ids are UUIDs in HoneyHive's API. Ids derived from span and trace ids are
/// deterministic, so a retried export produces the same events, and a parent's id can be computed
/// from the child's parent_span_id without seeing the parent.
/// </summary>
public static class EventIds
{
    /// <summary>The event id of a span: a name-based UUID of (trace id, span id).</summary>
    public static string ForSpan(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        Span<byte> input = stackalloc byte[traceId.Length + spanId.Length + 1];
        input[0] = (byte)'s';
        traceId.CopyTo(input[1..]);
        spanId.CopyTo(input[(1 + traceId.Length)..]);
        return FromHash(input);
    }

    /// <summary>The event id of an OTLP log record stored as its own event: a name-based UUID of the record's hash.</summary>
    public static string ForLogRecord(ReadOnlySpan<byte> recordHash)
    {
        Span<byte> input = stackalloc byte[recordHash.Length + 1];
        input[0] = (byte)'l';
        recordHash.CopyTo(input[1..]);
        return FromHash(input);
    }

    /// <summary>A trace id (16 bytes) read as a UUID: the session of a trace with no explicit session.</summary>
    public static string ForTrace(ReadOnlySpan<byte> traceId) =>
        traceId.Length == 16 ? new Guid(traceId, bigEndian: true).ToString() : FromHash(traceId);

    /// <summary>A client-supplied id: kept when it is a UUID, otherwise mapped to a stable UUID scoped to the project.</summary>
    public static string Normalize(string value, string projectId) =>
        Guid.TryParse(value, out var guid) ? guid.ToString() : FromHash(Encoding.UTF8.GetBytes(projectId + "\n" + value));

    private static string FromHash(ReadOnlySpan<byte> input)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: application-defined name-based UUID
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash[..16], bigEndian: true).ToString();
    }
}
