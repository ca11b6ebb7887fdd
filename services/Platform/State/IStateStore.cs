namespace HoneyHive.Platform.State;

/// <summary>A state value and its concurrency token; <see cref="Value"/> is null when the key is absent.</summary>
public sealed record StateEntry(string Key, byte[]? Value, string? ETag);

/// <summary>Key/value state with optimistic concurrency (Redis or Dapr state).</summary>
public interface IStateStore
{
    /// <summary>Read a key.</summary>
    Task<StateEntry> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Write a key. With an <paramref name="etag"/> the write happens only if the stored value still
    /// has it (false otherwise); without one the last write wins.
    /// </summary>
    Task<bool> TrySaveAsync(string key, ReadOnlyMemory<byte> value, string? etag, CancellationToken cancellationToken);

    /// <summary>Delete a key (no error when absent).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
