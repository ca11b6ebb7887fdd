namespace HoneyHive.LlmProxy;

/// <summary>The proxy's limits and resilience settings (configuration section <c>LlmProxy</c>).</summary>
public sealed class LlmProxyOptions
{
    public const string Section = "LlmProxy";

    /// <summary>Largest request body: room for a long conversation with a few images inline as base64.</summary>
    public long MaxRequestBytes { get; set; } = 20L << 20;


    /// <summary>One non-streamed attempt, from sending to the whole answer.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A streamed attempt, from sending to its first chunk.</summary>
    public TimeSpan FirstChunkTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A stream that sends nothing for this long is broken off.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of one target after a retryable failure (429, 5xx, timeout, connection), before its fallback.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First backoff; doubled each retry, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>A provider's retry-after longer than this is not waited for: the next fallback is tried, or the caller gets the 429.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Base URL per provider kind for secrets that store none (a corporate gateway in front of OpenAI, a regional
    /// endpoint); empty means each provider's public endpoint. Passes the same SSRF guard as a secret's own URL.
    /// </summary>
    public Dictionary<string, string> ProviderBaseUrls { get; set; } = new(StringComparer.Ordinal);
}
