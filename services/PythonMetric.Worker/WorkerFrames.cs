using System.Buffers.Binary;
using System.Text;

namespace HoneyHive.PythonMetric.Worker;

/// <summary>
/// The pool ↔ worker wire: over the worker's stdin and stdout, each message is a 4-byte little-endian
/// length and that many bytes of UTF-8 JSON. Order of a worker's life: the pool writes one
/// <see cref="WorkerConfig"/>; the worker answers one <see cref="WorkerHello"/>; then, one at a time,
/// the pool writes a run request (<c>PythonMetricRunRequest</c> JSON) and the worker answers its result
/// (<c>PythonMetricRunResult</c> JSON). A frame over <see cref="MaxFrameBytes"/> ends the worker.
/// </summary>
public static class WorkerFrames
{
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public static async Task WriteAsync(Stream stream, string json, CancellationToken cancellationToken)
    {
        var length = Encoding.UTF8.GetByteCount(json);
        if (length > MaxFrameBytes) throw new InvalidDataException($"A frame of {length} bytes exceeds {MaxFrameBytes}.");
        var buffer = new byte[4 + length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, length);
        Encoding.UTF8.GetBytes(json, buffer.AsSpan(4));
        await stream.WriteAsync(buffer, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Blocking write: the worker stays on its one thread, the thread that holds Python's GIL.</summary>
    public static void Write(Stream stream, string json)
    {
        var length = Encoding.UTF8.GetByteCount(json);
        if (length > MaxFrameBytes) throw new InvalidDataException($"A frame of {length} bytes exceeds {MaxFrameBytes}.");
        var buffer = new byte[4 + length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, length);
        Encoding.UTF8.GetBytes(json, buffer.AsSpan(4));
        stream.Write(buffer);
        stream.Flush();
    }

    /// <summary>Blocking read of the next frame, or null when the other end closed the stream between frames.</summary>
    public static string? Read(Stream stream)
    {
        var header = new byte[4];
        var got = stream.ReadAtLeast(header, 4, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < 4) throw new EndOfStreamException("The stream ended inside a frame.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > MaxFrameBytes) throw new InvalidDataException($"A frame announces {length} bytes; at most {MaxFrameBytes} are allowed.");
        var body = new byte[length];
        stream.ReadExactly(body);
        return Encoding.UTF8.GetString(body);
    }

    /// <summary>The next frame, or null when the other end closed the stream between frames.</summary>
    public static async Task<string?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, cancellationToken)) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > MaxFrameBytes) throw new InvalidDataException($"A frame announces {length} bytes; at most {MaxFrameBytes} are allowed.");
        var body = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, body, cancellationToken))
            throw new EndOfStreamException("The stream ended inside a frame.");
        return Encoding.UTF8.GetString(body);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException("The stream ended inside a frame.");
            }

            read += n;
        }

        return true;
    }
}
