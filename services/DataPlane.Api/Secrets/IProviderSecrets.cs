using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>Plaintext provider keys for server-side callers (the LLM proxy, LLM evaluators). Never exposed over HTTP.</summary>
public interface IProviderSecrets
{
    /// <summary>The workspace's key for <paramref name="provider"/>, or null when none is stored.</summary>
    /// <exception cref="ProviderSecretException">The stored secret cannot be decrypted.</exception>
    Task<string?> GetAsync(Guid workspace, string provider, CancellationToken cancellationToken);

    /// <summary>The workspace's key for <paramref name="provider"/> with what is stored beside it (kind, base URL, settings), or null.</summary>
    /// <exception cref="ProviderSecretException">The stored secret cannot be decrypted.</exception>
    Task<ProviderCredential?> GetCredentialAsync(Guid workspace, string provider, CancellationToken cancellationToken);
}

/// <summary>
/// What a call to a provider needs: the decrypted <see cref="Secret"/> (an API key, or the JSON of a cloud
/// credential), the wire format (<see cref="Kind"/>, null when implied by the name), the base URL when not the
/// provider's public one, and the kind's settings (api_version, region, project, location...). Lives only for the call.
/// </summary>
public sealed record ProviderCredential(string Provider, string? Kind, string? BaseUrl, JsonObject Settings, string Secret)
{
    /// <summary>Never the secret: a record's generated ToString would print it into any log that formats one.</summary>
    public override string ToString() => $"{Provider} ({Kind ?? "implied kind"}, {BaseUrl ?? "default URL"})";
}

/// <summary>A stored secret that does not decrypt: its master key is not configured, or the row was altered or moved.</summary>
public sealed class ProviderSecretException(string message, Exception inner) : Exception(message, inner);
