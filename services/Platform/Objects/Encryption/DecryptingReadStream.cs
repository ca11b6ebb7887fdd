using System.Security.Cryptography;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// The plaintext of an encrypted object, opened chunk by chunk as it is read. A chunk that does not authenticate
/// (tampered, reordered, cut short, another object's or project's) throws <see cref="CryptographicException"/>; no
/// byte of it is handed out first. Disposing it disposes the stored object's stream.
/// </summary>
internal sealed class DecryptingReadStream : ChunkedReadStream
{
    private readonly Stream stored;
    private readonly string objectKey;
    private readonly byte[] binding;
    private readonly AesGcm aes;
    private readonly byte[] input;
    private readonly byte[] output;
    private long index;

    public DecryptingReadStream(Stream stored, EncryptedObjectHeader header, byte[] dataKey, string scope, string objectKey)
    {
        this.stored = stored;
        this.objectKey = objectKey;
        binding = EncryptedObjectFormat.Binding(scope, objectKey, header.Bytes);
        var objectAesKey = EncryptedObjectFormat.ObjectKey(dataKey, header.Salt);
        aes = new AesGcm(objectAesKey, EncryptedObjectFormat.TagSize);
        CryptographicOperations.ZeroMemory(objectAesKey);
        input = new byte[header.ChunkSize + EncryptedObjectFormat.TagSize];
        output = new byte[header.ChunkSize];
    }

    protected override async ValueTask<(ReadOnlyMemory<byte> Block, bool Last)> NextBlockAsync(bool sync, CancellationToken cancellationToken)
    {
        if (index < 0) return (ReadOnlyMemory<byte>.Empty, true);
        var read = await FillAsync(stored, input, sync, cancellationToken);
        var last = read < input.Length;
        if (read < EncryptedObjectFormat.TagSize)
            throw new CryptographicException($"Encrypted object {objectKey} is truncated: chunk {index} is incomplete.");
        var length = read - EncryptedObjectFormat.TagSize;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> associated = stackalloc byte[EncryptedObjectFormat.AssociatedDataSize];
        EncryptedObjectFormat.Nonce(index, nonce);
        EncryptedObjectFormat.ChunkAssociatedData(binding, index, last, associated);
        try
        {
            aes.Decrypt(nonce, input.AsSpan(0, length), input.AsSpan(length, EncryptedObjectFormat.TagSize), output.AsSpan(0, length), associated);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException(
                $"Encrypted object {objectKey} does not authenticate at chunk {index}: it was altered, cut short, or belongs to another key or project.", e);
        }
        index = last ? -1 : index + 1;
        return (output.AsMemory(0, length), false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            aes.Dispose();
            CryptographicOperations.ZeroMemory(output);
            stored.Dispose();
        }
        base.Dispose(disposing);
    }
}
