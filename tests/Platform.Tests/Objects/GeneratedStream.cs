using System.Security.Cryptography;

namespace HoneyHive.Platform.Tests.Objects;

/// <summary>
/// A forward-only stream of deterministic pseudo-random bytes, hashed as it is read, so big objects
/// are produced and checked without ever being held in memory. Optionally fails after some bytes.
/// </summary>
internal sealed class GeneratedStream(long length, ulong seed, long failAfter = -1) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ulong _state = seed | 1;
    private long _produced;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    private byte[]? _finalHash;

    /// <summary>Whether someone disposed the stream (the caller owns it, a store must not).</summary>
    public bool IsDisposed => _finalHash is not null;

    /// <summary>SHA-256 of the bytes produced so far.</summary>
    public byte[] Hash() => _finalHash ?? _hash.GetCurrentHash();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAfter >= 0 && _produced >= failAfter) throw new IOException("generated failure");
        var n = (int)Math.Min(buffer.Length, length - _produced);
        for (var i = 0; i < n; i++)
        {
            // xorshift64: fast, deterministic, incompressible enough for storage tests.
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[i] = (byte)_state;
        }
        _hash.AppendData(buffer[..n]);
        _produced += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _finalHash is null)
        {
            _finalHash = _hash.GetCurrentHash();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
