using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// Encrypts what the platform stores per project (see <see cref="ObjectEncryptionScopes"/>) on its way into the inner
/// store, and decrypts it on the way out; both directions stream (<see cref="EncryptedObjectFormat"/>). Objects
/// written before encryption was on have no header and are read as they are, so an existing install keeps working;
/// they stay plaintext until rewritten or removed by retention.
/// </summary>
public sealed class EncryptingObjectStore(IObjectStore inner, ObjectDataKeys keys, Func<string, string?>? scopeOf = null, bool encryptWrites = true) : IObjectStore
{
    private readonly Func<string, string?> scopeOf = scopeOf ?? ObjectEncryptionScopes.For;

    /// <summary>The store the encrypted bytes go to.</summary>
    public IObjectStore Inner => inner;

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        CheckNotReserved(key);
        ArgumentNullException.ThrowIfNull(content);
        if (!encryptWrites || scopeOf(key) is not { } scope)
        {
            await inner.PutAsync(key, content, cancellationToken);
            return;
        }
        var dataKey = await keys.CurrentAsync(scope, cancellationToken);
        await using var encrypted = new EncryptingReadStream(content, dataKey.Key, dataKey.Id, scope, key);
        await inner.PutAsync(key, encrypted, cancellationToken);
    }

    public async Task<Stream?> GetAsync(string key, CancellationToken cancellationToken)
    {
        CheckNotReserved(key);
        var stored = await inner.GetAsync(key, cancellationToken);
        if (stored is null) return null;
        try
        {
            var start = new byte[EncryptedObjectFormat.Magic.Length];
            var read = await stored.ReadAtLeastAsync(start, start.Length, throwOnEndOfStream: false, cancellationToken);
            if (read < start.Length || !start.AsSpan().SequenceEqual(EncryptedObjectFormat.Magic))
                return new ReplayedPrefixStream(start[..read], stored);

            var scope = scopeOf(key) ?? throw new CryptographicException($"Object {key} is encrypted but lies outside every encrypted folder.");
            var header = await EncryptedObjectHeader.ReadAfterMagicAsync(stored, cancellationToken);
            var dataKey = await keys.GetAsync(scope, header.KeyId, cancellationToken);
            return new DecryptingReadStream(stored, header, dataKey.Key, scope, key);
        }
        catch
        {
            await stored.DisposeAsync();
            throw;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var key in inner.ListAsync(prefix, cancellationToken))
        {
            if (!key.StartsWith(ObjectEncryptionScopes.DataKeyPrefix, StringComparison.Ordinal)) yield return key;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        CheckNotReserved(key);
        return inner.DeleteAsync(key, cancellationToken);
    }

    // Data keys are reached through ObjectDataKeys only: a caller must not overwrite or delete one by accident.
    private static void CheckNotReserved(string key)
    {
        ObjectKey.Validate(key);
        if (key.StartsWith(ObjectEncryptionScopes.DataKeyPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"Keys under '{ObjectEncryptionScopes.DataKeyPrefix}' hold the object store's data keys and are reserved.", nameof(key));
    }
}
