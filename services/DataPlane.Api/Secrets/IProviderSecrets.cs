namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>Plaintext provider keys for server-side callers (the LLM proxy, LLM evaluators). Never exposed over HTTP.</summary>
public interface IProviderSecrets
{
    /// <summary>The workspace's key for <paramref name="provider"/>, or null when none is stored.</summary>
    /// <exception cref="ProviderSecretException">The stored secret cannot be decrypted.</exception>
    Task<string?> GetAsync(Guid workspace, string provider, CancellationToken cancellationToken);
}

/// <summary>A stored secret that does not decrypt: its master key is not configured, or the row was altered or moved.</summary>
public sealed class ProviderSecretException(string message, Exception inner) : Exception(message, inner);
