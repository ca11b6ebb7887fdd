namespace HoneyHive.Platform.Security.Outbound;

/// <summary>
/// An outbound URL or address the SSRF guard refused: a private, loopback, link-local or metadata address (or a name
/// resolving to one) whose host is not in the operator's allowlist, or a URL the guard does not send to at all.
/// The message names the host and the setting that would admit it; it never carries a credential.
/// </summary>
public sealed class OutboundAddressRefusedException(string host, string reason)
    : Exception($"The address of '{host}' is refused: {reason}. An operator can allow private hosts on purpose with {OutboundGuardOptions.AllowedPrivateHostsKey} (comma-separated host names or CIDRs).")
{
    /// <summary>The host as the URL named it.</summary>
    public string Host { get; } = host;

    /// <summary>Why it was refused, without the advice on the setting.</summary>
    public string Reason { get; } = reason;
}
