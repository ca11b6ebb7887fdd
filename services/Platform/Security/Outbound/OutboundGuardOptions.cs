namespace HoneyHive.Platform.Security.Outbound;

/// <summary>The operator's exceptions to the SSRF guard, read from configuration key <c>HH_ALLOWED_PRIVATE_HOSTS</c>.</summary>
public sealed class OutboundGuardOptions
{
    /// <summary>The configuration key (and so the environment variable) of the allowlist.</summary>
    public const string AllowedPrivateHostsKey = "HH_ALLOWED_PRIVATE_HOSTS";

    /// <summary>
    /// Comma-separated host names (exact, case-insensitive) or CIDRs (IPv4 or IPv6, a bare address being its own /32
    /// or /128) that may be private: a local Ollama, a gateway on the company network. Empty by default.
    /// </summary>
    public string? AllowedPrivateHosts { get; set; }
}
