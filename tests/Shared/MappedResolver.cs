using System.Collections.Concurrent;
using System.Net;
using HoneyHive.Platform.Security.Outbound;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// A resolver whose answers a test sets: made-up names (<c>*.test</c>) mapped to the addresses a hostile DNS server
/// would give, and changed between the save-time check and the connection (rebinding). Unmapped names go to DNS.
/// </summary>
public sealed class MappedResolver : IOutboundResolver
{
    private readonly ConcurrentDictionary<string, IPAddress[]> names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many lookups each name had, so a test can tell the guard asked.</summary>
    public ConcurrentDictionary<string, int> Lookups { get; } = new(StringComparer.OrdinalIgnoreCase);

    public void Map(string name, params string[] addresses) => names[name] = [.. addresses.Select(IPAddress.Parse)];

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Lookups.AddOrUpdate(host, 1, (_, n) => n + 1);
        return names.TryGetValue(host, out var addresses) ? Task.FromResult(addresses) : Dns.GetHostAddressesAsync(host, cancellationToken);
    }
}
