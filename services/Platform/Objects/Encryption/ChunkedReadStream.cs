namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// A read-only, forward-only stream that hands out one produced block at a time: subclasses make the next block
/// (a sealed or opened chunk) when the previous one is used up. Sync and async reads share one code path.
/// </summary>
internal abstract class ChunkedReadStream : Stream
{
    private ReadOnlyMemory<byte> pending;
    private bool finished;

    /// <summary>The next block, or an empty block with <c>last</c> when nothing follows.</summary>
    protected abstract ValueTask<(ReadOnlyMemory<byte> Block, bool Last)> NextBlockAsync(bool sync, CancellationToken cancellationToken);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (pending.IsEmpty && !finished)
        {
            // sync: true makes NextBlockAsync finish without awaiting anything.
            var next = NextBlockAsync(sync: true, CancellationToken.None);
            if (!next.IsCompleted) throw new InvalidOperationException("A synchronous read did not complete synchronously.");
            Take(next.Result);
        }
        return Copy(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (pending.IsEmpty && !finished) Take(await NextBlockAsync(sync: false, cancellationToken));
        return Copy(buffer.Span);
    }

    private void Take((ReadOnlyMemory<byte> Block, bool Last) next)
    {
        pending = next.Block;
        finished = next.Last;
    }

    private int Copy(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, pending.Length);
        pending.Span[..n].CopyTo(buffer);
        pending = pending[n..];
        return n;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the source ends; the count read.</summary>
    protected static async ValueTask<int> FillAsync(Stream source, Memory<byte> buffer, bool sync, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = sync ? source.Read(buffer.Span[total..]) : await source.ReadAsync(buffer[total..], cancellationToken);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
