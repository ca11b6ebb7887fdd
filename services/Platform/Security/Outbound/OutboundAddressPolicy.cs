using System.Net;
using System.Net.Sockets;

namespace HoneyHive.Platform.Security.Outbound;

/// <summary>
/// Which addresses and names an outbound call may reach: everything public, and private, loopback, link-local,
/// metadata, multicast and reserved addresses only when the operator's allowlist names the host or a CIDR holding
/// the address. IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address,
/// so <c>[::ffff:127.0.0.1]</c> is loopback.
/// </summary>
public sealed class OutboundAddressPolicy
{
    private static readonly IPNetwork[] RefusedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network"; 0.0.0.0 reaches the local host on Linux
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), // link-local, where cloud metadata (169.254.169.254) lives
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments (includes some providers' metadata, 192.0.0.192)
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking, used inside some clouds' networks
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, and the broadcast address 255.255.255.255
    ];

    private static readonly IPNetwork[] RefusedV6 =
    [
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("64:ff9b:1::/48"), // local-use NAT64: reaches whatever the local translator reaches
        IPNetwork.Parse("fc00::/7"), // unique-local, where AWS's IPv6 metadata (fd00:ec2::254) lives
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fec0::/10"), // deprecated site-local, still routed by some stacks
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>Names that reach the local host or a cloud's metadata service whatever the resolver answers.</summary>
    private static readonly HashSet<string> RefusedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal",
    };

    private readonly HashSet<string> allowedHosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> allowedNetworks = [];

    /// <param name="allowlist">The operator's <see cref="OutboundGuardOptions.AllowedPrivateHosts"/>.</param>
    /// <exception cref="FormatException">An entry is neither a host name nor a CIDR.</exception>
    public OutboundAddressPolicy(string? allowlist)
    {
        foreach (var raw in (allowlist ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var entry = raw.TrimEnd('.');
            if (IPNetwork.TryParse(entry, out var network)) allowedNetworks.Add(network);
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var address)) allowedNetworks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else if (Uri.CheckHostName(entry) == UriHostNameType.Dns) allowedHosts.Add(entry);
            else throw new FormatException($"{OutboundGuardOptions.AllowedPrivateHostsKey}: '{raw}' is neither a host name nor a CIDR.");
        }
    }

    /// <summary>Whether the operator named <paramref name="host"/> itself (every address it resolves to is then admitted).</summary>
    public bool IsAllowedHost(string host) => allowedHosts.Contains(host.TrimEnd('.'));

    /// <summary>Why the name is refused before any lookup, or null. An allowlisted name is never refused.</summary>
    public string? RefuseName(string host)
    {
        var name = host.TrimEnd('.');
        if (IsAllowedHost(name)) return null;
        if (RefusedNames.Contains(name) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "the name reaches the local host or a cloud metadata service";
        return null;
    }

    /// <summary>Why <paramref name="address"/> is refused for <paramref name="host"/>, or null when it may be reached.</summary>
    public string? RefuseAddress(string host, IPAddress address)
    {
        if (IsAllowedHost(host)) return null;
        var judged = Embedded(address) ?? address;
        if (allowedNetworks.Any(n => n.Contains(address) || n.Contains(judged))) return null;
        var networks = judged.AddressFamily == AddressFamily.InterNetwork ? RefusedV4 : RefusedV6;
        var hit = networks.FirstOrDefault(n => n.Contains(judged));
        if (hit == default) return null;
        var form = ReferenceEquals(judged, address) ? address.ToString() : $"{address} (that is {judged})";
        return $"{form} is in {hit}, a private, loopback, link-local, metadata or reserved range";
    }

    /// <summary>The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return null;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address)) return new IPAddress(bytes.AsSpan(12, 4));
        // ::a.b.c.d (deprecated "compatible" form), but not :: and ::1, which are judged as IPv6 themselves.
        if (Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)) return new IPAddress(bytes.AsSpan(12, 4));
        if (SixToFour.Contains(address)) return new IPAddress(bytes.AsSpan(2, 4));
        return null;
    }
}
