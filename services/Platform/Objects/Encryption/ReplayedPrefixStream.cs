namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// An object stored before encryption was turned on: the bytes read to look for the header are handed out again
/// before the rest of the stored stream, which it disposes.
/// </summary>
internal sealed class ReplayedPrefixStream(byte[] prefix, Stream rest) : ChunkedReadStream
{
    private int step;
    private readonly byte[] buffer = new byte[81920];

    protected override async ValueTask<(ReadOnlyMemory<byte> Block, bool Last)> NextBlockAsync(bool sync, CancellationToken cancellationToken)
    {
        if (step++ == 0) return (prefix, false);
        var n = sync ? rest.Read(buffer) : await rest.ReadAsync(buffer, cancellationToken);
        return n == 0 ? (ReadOnlyMemory<byte>.Empty, true) : (buffer.AsMemory(0, n), false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }
}
