using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Google;

/// <summary>
/// OAuth access tokens for Vertex AI from a service-account JSON key, by Google.Apis.Auth: it signs the JWT assertion
/// (RS256) and exchanges it at the key's <c>token_uri</c>, and refreshes the token shortly before it expires. One
/// credential is kept per key (by its hash, never the key itself as a name), so calls reuse a token until then.
/// The token request goes through the proxy's upstream client, so a key whose token_uri points inside the network
/// meets the same guard as a base URL.
/// </summary>
public sealed class VertexTokens(IHttpMessageHandlerFactory handlers)
{
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";
    public const string GoogleTokenUri = "https://oauth2.googleapis.com/token";

    /// <summary>Keys kept at most; past it the cache starts over (rotation leaves old keys behind).</summary>
    private const int MaxCredentials = 1_000;

    private readonly ConcurrentDictionary<string, ServiceAccountKey> credentials = new(StringComparer.Ordinal);

    /// <summary>The service account's key, parsed (its project is the default project for Vertex URLs).</summary>
    public ServiceAccountKey KeyFor(ProviderCredential credential)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credential.Secret)));
        if (credentials.TryGetValue(hash, out var key)) return key;
        if (credentials.Count >= MaxCredentials) credentials.Clear();
        return credentials.GetOrAdd(hash, _ => Parse(credential.Provider, credential.Secret));
    }

    public async Task<string> TokenAsync(ServiceAccountKey key, string provider, CancellationToken cancellationToken)
    {
        try
        {
            return await key.Credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
        }
        catch (TokenResponseException e)
        {
            // The token endpoint's refusal (a revoked or deleted key) is the caller's credential failing, as a 401 from the API would be.
            var status = e.StatusCode is { } code && (int)code >= 500 ? (int)code : 401;
            throw UpstreamErrors.FromStatus(status, provider, $"the service account could not get an access token ({e.Error?.Error}: {e.Error?.ErrorDescription}).");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or TaskCanceledException)
        {
            throw UpstreamErrors.FromException(e, provider);
        }
    }

    private ServiceAccountKey Parse(string provider, string secret)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(secret) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            throw Refused(provider, "is not a JSON object");
        }
        if (OpenAiMessages.Text(json["type"]) != "service_account") throw Refused(provider, "is not a service account key (type must be service_account)");
        var email = OpenAiMessages.Text(json["client_email"]) ?? throw Refused(provider, "has no client_email");
        var privateKey = OpenAiMessages.Text(json["private_key"]) ?? throw Refused(provider, "has no private_key");
        var initializer = new ServiceAccountCredential.Initializer(email, OpenAiMessages.Text(json["token_uri"]) ?? GoogleTokenUri)
        {
            Scopes = [Scope],
            KeyId = OpenAiMessages.Text(json["private_key_id"]),
            ProjectId = OpenAiMessages.Text(json["project_id"]),
            HttpClientFactory = new UpstreamHttpClientFactory(handlers),
        };
        try
        {
            return new ServiceAccountKey(new ServiceAccountCredential(initializer.FromPrivateKey(privateKey)), OpenAiMessages.Text(json["project_id"]));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw Refused(provider, "has a private_key that is not a PEM RSA key");
        }
    }

    private static OpenAiErrorException Refused(string provider, string why) =>
        new(401, "authentication_error", $"{provider}: the stored key {why}; store the service account's JSON key file.", retryable: false);

    /// <summary>Google.Apis.Auth's HTTP over the proxy's upstream handler (its SSRF guard and connection pool).</summary>
    private sealed class UpstreamHttpClientFactory(IHttpMessageHandlerFactory handlers) : global::Google.Apis.Http.HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(global::Google.Apis.Http.CreateHttpClientArgs args) =>
            handlers.CreateHandler(ModelCaller.UpstreamClient);
    }
}

public sealed record ServiceAccountKey(ServiceAccountCredential Credential, string? ProjectId)
{
    public override string ToString() => $"service account {Credential.Id}";
}
