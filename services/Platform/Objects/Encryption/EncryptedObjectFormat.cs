using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// The stored form of an encrypted object, made to stream: a header, then the plaintext in chunks of
/// <see cref="ChunkSize"/> bytes, each sealed with AES-256-GCM and followed by its 16-byte tag. Neither side holds more
/// than one chunk, so a multi-gigabyte archive passes through in constant memory.
/// <code>
/// header = magic (8) | format version (1) = 1 | chunk size (4, big-endian) | key id length (1) | key id (ASCII) | salt (16)
/// chunk  = ciphertext (chunk size, or fewer for the last chunk) | tag (16)
/// </code>
/// <para>Each object gets its own AES key: HKDF-SHA256 of the data key with the object's random salt, so chunk nonces
/// are simply the chunk index and never repeat under one key. The associated data of every chunk binds it to the
/// scope (project), the object key, the whole header, its index and whether it is the last: a chunk moved, reordered,
/// dropped or cut off, an object copied to another key or project, or a header edited all fail to open.</para>
/// <para>The last chunk is always shorter than <see cref="ChunkSize"/> (empty when the plaintext fills whole chunks),
/// which is how a reader knows the object ended where the writer meant it to.</para>
/// <para>The magic starts with 0x89, which no JSON text or Parquet file (<c>PAR1</c>) begins with: objects stored before
/// encryption was turned on are recognised and read as they are.</para>
/// </summary>
public static class EncryptedObjectFormat
{
    /// <summary>Plaintext bytes per chunk.</summary>
    public const int ChunkSize = 64 * 1024;

    public const int TagSize = 16;
    public const int SaltSize = 16;
    public const byte FormatVersion = 1;

    /// <summary>Chunks beyond this many cannot be encrypted (nonce space); 2^32 chunks of 64 KiB is 256 TiB.</summary>
    public const long MaxChunks = uint.MaxValue;

    private static readonly byte[] MagicBytes = [0x89, (byte)'H', (byte)'H', (byte)'E', (byte)'N', (byte)'C', 0x0D, 0x0A];

    public static ReadOnlySpan<byte> Magic => MagicBytes;

    /// <summary>The header of a new object under data key <paramref name="keyId"/> with a fresh salt.</summary>
    public static byte[] NewHeader(string keyId)
    {
        var id = Encoding.ASCII.GetBytes(keyId);
        if (id.Length is 0 or > byte.MaxValue) throw new ArgumentException("A data key id is 1-255 ASCII characters.", nameof(keyId));
        var header = new byte[MagicBytes.Length + 1 + 4 + 1 + id.Length + SaltSize];
        var at = 0;
        MagicBytes.CopyTo(header, at); at += MagicBytes.Length;
        header[at++] = FormatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(at), ChunkSize); at += 4;
        header[at++] = (byte)id.Length;
        id.CopyTo(header, at); at += id.Length;
        RandomNumberGenerator.Fill(header.AsSpan(at, SaltSize));
        return header;
    }

    /// <summary>The per-object AES key: the data key stretched with the header's salt.</summary>
    public static byte[] ObjectKey(byte[] dataKey, ReadOnlySpan<byte> salt) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, 32, salt.ToArray(), "honeyhive/object-key/v1"u8.ToArray());

    /// <summary>A digest of what every chunk of the object is bound to; the chunk index and last flag are added per chunk.</summary>
    public static byte[] Binding(string scope, string objectKey, ReadOnlySpan<byte> header)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"honeyhive/object/v1\n{scope}\n{objectKey}\n"));
        hash.AppendData(header);
        return hash.GetHashAndReset();
    }

    /// <summary>The chunk's associated data: the object binding, its index and whether it is the last.</summary>
    public static void ChunkAssociatedData(byte[] binding, long index, bool last, Span<byte> destination)
    {
        binding.CopyTo(destination);
        BinaryPrimitives.WriteInt64BigEndian(destination[binding.Length..], index);
        destination[binding.Length + 8] = last ? (byte)1 : (byte)0;
    }

    public const int AssociatedDataSize = 32 + 8 + 1;

    /// <summary>The nonce of chunk <paramref name="index"/>: unique because each object has its own key.</summary>
    public static void Nonce(long index, Span<byte> destination)
    {
        destination.Clear();
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], index);
    }
}

/// <summary>What an encrypted object's header says.</summary>
/// <param name="Bytes">The header as stored (it is part of every chunk's associated data).</param>
/// <param name="KeyId">The data key it was written under.</param>
/// <param name="ChunkSize">Plaintext bytes per chunk.</param>
/// <param name="Salt">The per-object salt.</param>
public sealed record EncryptedObjectHeader(byte[] Bytes, string KeyId, int ChunkSize, byte[] Salt)
{
    /// <summary>Reads the rest of a header whose magic has been read already.</summary>
    /// <exception cref="CryptographicException">Not a header this version can read.</exception>
    public static async Task<EncryptedObjectHeader> ReadAfterMagicAsync(Stream stream, CancellationToken cancellationToken)
    {
        var fixedPart = new byte[1 + 4 + 1];
        await ReadExactlyAsync(stream, fixedPart, cancellationToken);
        if (fixedPart[0] != EncryptedObjectFormat.FormatVersion)
            throw new CryptographicException($"Encrypted object format {fixedPart[0]} is not one this version reads.");
        var chunkSize = BinaryPrimitives.ReadUInt32BigEndian(fixedPart.AsSpan(1));
        // A header that asks for huge buffers is refused before anything is allocated for it.
        if (chunkSize is 0 or > 16 * 1024 * 1024) throw new CryptographicException("Encrypted object header names an invalid chunk size.");
        var rest = new byte[fixedPart[5] + EncryptedObjectFormat.SaltSize];
        await ReadExactlyAsync(stream, rest, cancellationToken);
        var keyId = Encoding.ASCII.GetString(rest, 0, fixedPart[5]);
        var bytes = new byte[EncryptedObjectFormat.Magic.Length + fixedPart.Length + rest.Length];
        EncryptedObjectFormat.Magic.CopyTo(bytes);
        fixedPart.CopyTo(bytes, EncryptedObjectFormat.Magic.Length);
        rest.CopyTo(bytes, EncryptedObjectFormat.Magic.Length + fixedPart.Length);
        return new EncryptedObjectHeader(bytes, keyId, (int)chunkSize, rest[fixedPart[5]..]);
    }

    private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new CryptographicException("Encrypted object is truncated inside its header.", e);
        }
    }
}
