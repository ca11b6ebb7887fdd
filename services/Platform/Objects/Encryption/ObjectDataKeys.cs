using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>One version of a scope's data key, unwrapped.</summary>
public sealed record ObjectDataKey(string Scope, string Id, byte[] Key, DateTimeOffset CreatedAt);

/// <summary>One version of a scope's data key as listed: never its key material.</summary>
/// <param name="Id">Its id, as object headers name it; ids sort by creation time.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="MasterKeyId">The master key it is sealed under (what re-wrapping after a master-key rotation changes).</param>
public sealed record DataKeyVersion(string Id, DateTimeOffset CreatedAt, string MasterKeyId);

/// <summary>What re-wrapping under the current master key did.</summary>
public sealed record DataKeyRewrapResult(int Rewrapped, int AlreadyCurrent, int Unreadable, string MasterKeyId);

/// <summary>
/// Data keys of the encrypted object store: per scope (a project, or the dead letters), any number of versions, each
/// a random AES-256 key sealed under the data plane's master-key ring (<see cref="SealedText"/>, bound to its scope and
/// id) and kept in the object store itself at <c>datakeys/{scope}/{id}.json</c>, beside the data it opens, as S3's own
/// envelope encryption keeps a wrapped key with each object: a copy of the bucket or folder is useless without the
/// master key, and every process that shares the store (Writer, DP API, archiver) shares the keys in every mode.
/// <para>Ids sort by creation time, the newest takes new writes. Versions are never overwritten (a random part in
/// each id), so two processes creating a key at the same moment each keep theirs and both stay readable.</para>
/// </summary>
public sealed class ObjectDataKeys(IObjectStore store, MasterKeyRing ring, ObjectEncryptionOptions options, TimeProvider clock, ILogger<ObjectDataKeys> logger)
{
    private static readonly JsonSerializerOptions Json = new();

    private readonly ConcurrentDictionary<(string Scope, string Id), ObjectDataKey> opened = new();
    private readonly ConcurrentDictionary<string, (ObjectDataKey Key, DateTimeOffset LookAgainAt)> current = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim choosing = new(1, 1);

    /// <summary>The version new objects of <paramref name="scope"/> are written under; made when there is none or it has aged out.</summary>
    public async ValueTask<ObjectDataKey> CurrentAsync(string scope, CancellationToken cancellationToken)
    {
        if (current.TryGetValue(scope, out var known) && known.LookAgainAt > clock.GetUtcNow()) return known.Key;
        await choosing.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            if (current.TryGetValue(scope, out known) && known.LookAgainAt > now) return known.Key;
            var newest = await NewestAsync(scope, cancellationToken);
            if (newest is null || newest.CreatedAt + options.DataKeyLifetime <= now) newest = await CreateAsync(scope, cancellationToken);
            current[scope] = (newest, now + options.CurrentKeyRefresh);
            return newest;
        }
        finally
        {
            choosing.Release();
        }
    }

    /// <summary>A new version for <paramref name="scope"/>, used for new writes from now on; older versions stay readable.</summary>
    public async Task<ObjectDataKey> RotateAsync(string scope, CancellationToken cancellationToken)
    {
        await choosing.WaitAsync(cancellationToken);
        try
        {
            var fresh = await CreateAsync(scope, cancellationToken);
            current[scope] = (fresh, clock.GetUtcNow() + options.CurrentKeyRefresh);
            return fresh;
        }
        finally
        {
            choosing.Release();
        }
    }

    /// <summary>Every version of <paramref name="scope"/>, oldest first; the last one takes new writes.</summary>
    public async Task<IReadOnlyList<DataKeyVersion>> ListAsync(string scope, CancellationToken cancellationToken)
    {
        var prefix = $"{ObjectEncryptionScopes.DataKeyPrefix}{scope}/";
        var versions = new List<DataKeyVersion>();
        await foreach (var path in store.ListAsync(prefix, cancellationToken))
        {
            var name = path[prefix.Length..];
            if (!name.EndsWith(".json", StringComparison.Ordinal) || !IsId(name[..^5])) continue;
            if (await ReadAsync(path, cancellationToken) is not { } stored) continue;
            versions.Add(new DataKeyVersion(stored.Id, stored.CreatedAt, MasterKeyIdOf(stored)));
        }
        return versions.OrderBy(v => v.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Whether <paramref name="versions"/>' newest (oldest first, as <see cref="ListAsync"/> answers) takes new writes:
    /// once it is older than <see cref="ObjectEncryptionOptions.DataKeyLifetime"/>, the next write makes a new one.
    /// </summary>
    public bool NewestTakesWrites(IReadOnlyList<DataKeyVersion> versions) =>
        versions.Count > 0 && versions[^1].CreatedAt + options.DataKeyLifetime > clock.GetUtcNow();

    /// <summary>The version named in an object's header.</summary>
    /// <exception cref="CryptographicException">No such version in this scope, or its master key is not configured.</exception>
    public async ValueTask<ObjectDataKey> GetAsync(string scope, string id, CancellationToken cancellationToken)
    {
        if (opened.TryGetValue((scope, id), out var key)) return key;
        if (!IsId(id)) throw new CryptographicException($"Object data key id '{id}' is malformed.");
        var stored = await ReadAsync(PathOf(scope, id), cancellationToken)
            ?? throw new CryptographicException($"Data key {id} of {scope} does not exist: the object belongs to another project, or its key was deleted.");
        return Open(scope, id, stored);
    }

    /// <summary>
    /// Re-seals every data key not under the current master key; the objects are untouched. Keys under a master key
    /// the ring does not hold are counted and left alone. Run at startup, so rotating the master key is: configure the
    /// new key, move the old one to <c>Secrets:PreviousKeys</c>, restart; drop the old one after the next start.
    /// </summary>
    public async Task<DataKeyRewrapResult> RewrapAsync(CancellationToken cancellationToken)
    {
        int rewrapped = 0, alreadyCurrent = 0, unreadable = 0;
        await foreach (var path in store.ListAsync(ObjectEncryptionScopes.DataKeyPrefix, cancellationToken))
        {
            var stored = await ReadAsync(path, cancellationToken);
            if (stored is null) continue;
            var kekId = MasterKeyIdOf(stored);
            if (kekId == ring.CurrentId) { alreadyCurrent++; continue; }
            if (!ring.TryGet(kekId, out _)) { unreadable++; continue; }
            var key = Open(stored.Scope, stored.Id, stored);
            await WriteAsync(key, cancellationToken);
            rewrapped++;
        }
        logger.LogInformation(
            "Object data keys: re-wrapped {Rewrapped} under master key {KeyId}, {Current} already were, {Unreadable} are under master keys not configured",
            rewrapped, ring.CurrentId, alreadyCurrent, unreadable);
        return new DataKeyRewrapResult(rewrapped, alreadyCurrent, unreadable, ring.CurrentId);
    }

    private async Task<ObjectDataKey?> NewestAsync(string scope, CancellationToken cancellationToken)
    {
        var prefix = $"{ObjectEncryptionScopes.DataKeyPrefix}{scope}/";
        string? newest = null;
        await foreach (var path in store.ListAsync(prefix, cancellationToken))
        {
            var name = path[prefix.Length..];
            if (name.EndsWith(".json", StringComparison.Ordinal) && IsId(name[..^5]) && string.CompareOrdinal(name, newest) > 0) newest = name;
        }
        return newest is null ? null : await GetAsync(scope, newest[..^5], cancellationToken);
    }

    private async Task<ObjectDataKey> CreateAsync(string scope, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var id = $"dk-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var key = new ObjectDataKey(scope, id, RandomNumberGenerator.GetBytes(32), now);
        await WriteAsync(key, cancellationToken);
        opened[(scope, id)] = key;
        logger.LogInformation("Made object data key {KeyId} for {Scope} under master key {MasterKeyId}", id, scope, ring.CurrentId);
        return key;
    }

    private async Task WriteAsync(ObjectDataKey key, CancellationToken cancellationToken)
    {
        var sealedKey = SealedText.Seal(ring, Convert.ToBase64String(key.Key), Context(key.Scope, key.Id));
        var stored = new StoredDataKey(key.Scope, key.Id, key.CreatedAt, sealedKey);
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(stored, Json));
        await store.PutAsync(PathOf(key.Scope, key.Id), content, cancellationToken);
    }

    private ObjectDataKey Open(string scope, string id, StoredDataKey stored)
    {
        if (stored.Scope != scope || stored.Id != id) throw new CryptographicException($"Data key file of {scope}/{id} names another key.");
        var key = new ObjectDataKey(scope, id, Convert.FromBase64String(SealedText.Open(ring, stored.Key, Context(scope, id))), stored.CreatedAt);
        opened[(scope, id)] = key;
        return key;
    }

    private async Task<StoredDataKey?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = await store.GetAsync(path, cancellationToken);
        if (stream is null) return null;
        try
        {
            return await JsonSerializer.DeserializeAsync<StoredDataKey>(stream, Json, cancellationToken)
                   ?? throw new CryptographicException($"Data key file {path} is empty.");
        }
        catch (JsonException e)
        {
            throw new CryptographicException($"Data key file {path} is not a data key.", e);
        }
    }

    // A sealed text is "v1.<master key id>.<sealed bytes>".
    private static string MasterKeyIdOf(StoredDataKey stored) => stored.Key.Split('.', 3) is [_, var id, _] ? id : "";

    private static string PathOf(string scope, string id) => $"{ObjectEncryptionScopes.DataKeyPrefix}{scope}/{id}.json";

    // The sealed key opens only for the scope and id it was made for: a key file copied to another project does not.
    private static string Context(string scope, string id) => $"honeyhive/object-data-key/v1\n{scope}\n{id}";

    private static bool IsId(string id) =>
        id.Length is > 3 and <= 64 && id.StartsWith("dk-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private sealed record StoredDataKey(
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("key")] string Key);
}
