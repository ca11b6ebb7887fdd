using System.Security.Cryptography;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// Reading it yields the encrypted form (<see cref="EncryptedObjectFormat"/>) of a plaintext stream, chunk by chunk as
/// the store pulls: the header, then each sealed chunk. The caller's plaintext stream is not disposed.
/// </summary>
internal sealed class EncryptingReadStream : ChunkedReadStream
{
    private readonly Stream plaintext;
    private readonly byte[] header;
    private readonly byte[] binding;
    private readonly AesGcm aes;
    private readonly byte[] input = new byte[EncryptedObjectFormat.ChunkSize];
    private readonly byte[] output = new byte[EncryptedObjectFormat.ChunkSize + EncryptedObjectFormat.TagSize];
    private long index = -1; // -1: the header is next
    private bool sealedLast;

    public EncryptingReadStream(Stream plaintext, byte[] dataKey, string keyId, string scope, string objectKey)
    {
        this.plaintext = plaintext;
        header = EncryptedObjectFormat.NewHeader(keyId);
        binding = EncryptedObjectFormat.Binding(scope, objectKey, header);
        var objectAesKey = EncryptedObjectFormat.ObjectKey(dataKey, header.AsSpan(header.Length - EncryptedObjectFormat.SaltSize));
        aes = new AesGcm(objectAesKey, EncryptedObjectFormat.TagSize);
        CryptographicOperations.ZeroMemory(objectAesKey);
    }

    protected override async ValueTask<(ReadOnlyMemory<byte> Block, bool Last)> NextBlockAsync(bool sync, CancellationToken cancellationToken)
    {
        if (index < 0)
        {
            index = 0;
            return (header, false);
        }
        if (sealedLast) return (ReadOnlyMemory<byte>.Empty, true);
        if (index >= EncryptedObjectFormat.MaxChunks) throw new InvalidOperationException("The object is too large to encrypt.");

        var read = await FillAsync(plaintext, input, sync, cancellationToken);
        // A full chunk is never the last one: the last is always shorter, empty if need be.
        var last = read < input.Length;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> associated = stackalloc byte[EncryptedObjectFormat.AssociatedDataSize];
        EncryptedObjectFormat.Nonce(index, nonce);
        EncryptedObjectFormat.ChunkAssociatedData(binding, index, last, associated);
        aes.Encrypt(nonce, input.AsSpan(0, read), output.AsSpan(0, read), output.AsSpan(read, EncryptedObjectFormat.TagSize), associated);
        index++;
        sealedLast = last;
        return (output.AsMemory(0, read + EncryptedObjectFormat.TagSize), false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            aes.Dispose();
            CryptographicOperations.ZeroMemory(input);
        }
        base.Dispose(disposing);
    }
}
