using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.IO.Hashing;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>One message of an <c>application/vnd.amazon.eventstream</c> body: its string headers and its payload.</summary>
public sealed record EventStreamMessage(IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Payload)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A frame that is not the event stream AWS documents: a CRC that does not match, a length out of bounds, a cut-off frame.</summary>
public sealed class EventStreamFormatException(string message) : Exception(message);

/// <summary>
/// Reads AWS's binary event-stream framing one message at a time, as the bytes arrive: a 12-byte prelude (total
/// length, headers length, CRC32 of those 8 bytes), the headers, the payload, and a CRC32 of everything before it.
/// Both CRCs are checked, so a corrupted frame is an error rather than garbage text in the answer.
/// </summary>
public static class EventStreamReader
{
    private const int PreludeLength = 12;
    private const int TrailerLength = 4;

    /// <summary>AWS caps a message at 16 MiB of payload and 128 KiB of headers; anything larger is not a frame.</summary>
    private const int MaxMessageLength = (16 << 20) + (128 << 10) + PreludeLength + TrailerLength;

    public static async IAsyncEnumerable<EventStreamMessage> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prelude = new byte[PreludeLength];
        while (true)
        {
            var read = await stream.ReadAtLeastAsync(prelude, PreludeLength, throwOnEndOfStream: false, cancellationToken);
            if (read == 0) yield break;
            if (read < PreludeLength) throw new EventStreamFormatException("the stream ended inside a frame's prelude");

            var totalLength = BinaryPrimitives.ReadUInt32BigEndian(prelude);
            var headersLength = BinaryPrimitives.ReadUInt32BigEndian(prelude.AsSpan(4));
            if (Crc32.HashToUInt32(prelude.AsSpan(0, 8)) != BinaryPrimitives.ReadUInt32BigEndian(prelude.AsSpan(8)))
                throw new EventStreamFormatException("a frame's prelude CRC does not match");
            if (totalLength < PreludeLength + TrailerLength || totalLength > MaxMessageLength
                || headersLength > totalLength - PreludeLength - TrailerLength)
                throw new EventStreamFormatException($"a frame declares {totalLength} bytes with {headersLength} of headers");

            var message = new byte[totalLength];
            prelude.CopyTo(message, 0);
            try
            {
                await stream.ReadExactlyAsync(message.AsMemory(PreludeLength), cancellationToken);
            }
            catch (EndOfStreamException)
            {
                throw new EventStreamFormatException("the stream ended inside a frame");
            }
            var crcAt = (int)totalLength - TrailerLength;
            if (Crc32.HashToUInt32(message.AsSpan(0, crcAt)) != BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(crcAt)))
                throw new EventStreamFormatException("a frame's message CRC does not match");

            var headers = ParseHeaders(message.AsSpan(PreludeLength, (int)headersLength));
            var payloadAt = PreludeLength + (int)headersLength;
            yield return new EventStreamMessage(headers, message.AsMemory(payloadAt, crcAt - payloadAt));
        }
    }

    /// <summary>
    /// Headers are (name length: 1 byte, name, type: 1 byte, value). Bedrock's are all strings (type 7); the other
    /// types are skipped by their documented sizes so an added header of another type does not break the reading.
    /// </summary>
    private static Dictionary<string, string> ParseHeaders(ReadOnlySpan<byte> span)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        while (span.Length > 0)
        {
            int nameLength = span[0];
            if (span.Length < 2 + nameLength) throw new EventStreamFormatException("a header is cut off");
            var name = Encoding.UTF8.GetString(span.Slice(1, nameLength));
            var type = span[1 + nameLength];
            span = span[(2 + nameLength)..];
            int size = type switch
            {
                0 or 1 => 0, // true, false
                2 => 1,
                3 => 2,
                4 => 4,
                5 or 8 => 8, // long, timestamp
                9 => 16, // uuid
                6 or 7 => span.Length >= 2 ? 2 + BinaryPrimitives.ReadUInt16BigEndian(span) : int.MaxValue,
                _ => throw new EventStreamFormatException($"header '{name}' has unknown type {type}"),
            };
            if (size > span.Length) throw new EventStreamFormatException($"header '{name}' is cut off");
            if (type == 7) headers[name] = Encoding.UTF8.GetString(span[2..size]);
            span = span[size..];
        }
        return headers;
    }
}
