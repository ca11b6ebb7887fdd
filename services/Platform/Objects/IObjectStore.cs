namespace HoneyHive.Platform.Objects;

/// <summary>Blob storage for large payloads, dead letters and exports (filesystem or S3).</summary>
public interface IObjectStore
{
    /// <summary>Store an object, replacing any with the same key. Durable when the call returns.</summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>Open an object for reading, or null when it does not exist.</summary>
    Task<Stream?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Keys that start with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Delete an object (no error when absent).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
