using System.Net;

namespace HoneyHive.Platform.Security.Outbound;

/// <summary>
/// Name resolution for the SSRF guard. The guard connects only to addresses this returned and it checked, so the
/// resolver is the one source of truth for a connection (no second lookup a rebinding DNS server could answer
/// differently). Tests replace it to map a made-up name to a private address.
/// </summary>
public interface IOutboundResolver
{
    /// <summary>Every address of <paramref name="host"/> (a DNS name, never an IP literal); throws when it has none.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver (<see cref="Dns"/>).</summary>
public sealed class DnsOutboundResolver : IOutboundResolver
{
    /// <inheritdoc />
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}
