using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Security.Outbound;

/// <summary>
/// The SSRF guard for URLs a tenant chooses (a provider's base URL, a webhook). Three checks, because each alone has
/// a gap: <see cref="CheckUrlAsync"/> when the URL is saved (a clear error at once), <see cref="ConnectAsync"/> for
/// every connection (the name is resolved once, every address checked, and only a checked address is dialled, so a
/// DNS answer that changes after the save cannot rebind the connection), and <see cref="GuardedRedirectHandler"/> for
/// every redirect (a public server must not bounce the call to a metadata address).
/// </summary>
public sealed partial class OutboundGuard(IOptions<OutboundGuardOptions> options, IOutboundResolver resolver)
{
    private readonly OutboundAddressPolicy policy = new(options.Value.AllowedPrivateHosts);

    /// <summary>The address policy (ranges and the operator's allowlist).</summary>
    public OutboundAddressPolicy Policy => policy;

    // Only digits, hex digits, x and dots: a host System.Uri left as a name but the system resolver (inet_aton)
    // reads as an IPv4 address, like 0x7f.1 or 017700000001.
    [GeneratedRegex("^[0-9a-fx.]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumericHost();

    /// <summary>
    /// Checks a URL before it is stored: http or https, no user info, and its host (an IP literal in any spelling, or
    /// every address its name resolves to) not refused by the policy.
    /// </summary>
    /// <exception cref="OutboundAddressRefusedException">The URL may not be called.</exception>
    public async Task CheckUrlAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!url.IsAbsoluteUri) throw new OutboundAddressRefusedException(url.OriginalString, "the URL is not absolute");
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            throw new OutboundAddressRefusedException(url.Host, $"only http and https are called, not {url.Scheme}");
        if (url.UserInfo.Length > 0)
            throw new OutboundAddressRefusedException(url.Host, "a URL with user info (user:password@) is not accepted; store the key as the secret's value");
        await AddressesAsync(url.IdnHost, cancellationToken);
    }

    /// <summary>The checked addresses of <paramref name="host"/> (a name or an IP literal, brackets allowed).</summary>
    /// <exception cref="OutboundAddressRefusedException">The name or any of its addresses is refused, or it has none.</exception>
    public async Task<IPAddress[]> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        var bare = host.Trim('[', ']');
        if (bare.Length == 0) throw new OutboundAddressRefusedException(host, "the URL has no host");
        if (Literal(bare) is { } literal)
        {
            Check(host, literal);
            return [literal];
        }
        if (policy.RefuseName(bare) is { } why) throw new OutboundAddressRefusedException(host, why);
        IPAddress[] addresses;
        try
        {
            addresses = await resolver.ResolveAsync(bare, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new OutboundAddressRefusedException(host, $"the name does not resolve ({e.SocketErrorCode})");
        }
        if (addresses.Length == 0) throw new OutboundAddressRefusedException(host, "the name resolves to no address");
        // Every address, not the first: a name answering one public and one private address must not pass.
        foreach (var address in addresses) Check(host, address);
        return addresses;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host once, checks every address, and connects
    /// to the first checked address that answers.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = await AddressesAsync(endpoint.Host, cancellationToken);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private void Check(string host, IPAddress address)
    {
        if (policy.RefuseAddress(host.Trim('[', ']'), address) is { } why) throw new OutboundAddressRefusedException(host, why);
    }

    /// <summary>
    /// The address a host spells, in every form a resolver would accept: what <see cref="IPAddress.TryParse(string, out IPAddress)"/>
    /// reads (dotted, IPv6, and inet_aton's short, decimal, hex and octal IPv4 forms). A numeric-looking host that does
    /// not parse is refused rather than handed to a resolver that might read it some other way.
    /// </summary>
    private static IPAddress? Literal(string host)
    {
        if (host.Contains(':', StringComparison.Ordinal))
            return IPAddress.TryParse(host, out var v6) ? v6 : throw new OutboundAddressRefusedException(host, "the IPv6 address does not parse");
        if (!NumericHost().IsMatch(host)) return null;
        // A name of hex letters only ("cafe", "bad.face") is a name, not a number: inet_aton needs a digit first.
        if (host.Split('.').Any(part => part.Length > 0 && !char.IsAsciiDigit(part[0]))) return null;
        if (IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork) return v4;
        throw new OutboundAddressRefusedException(host, "the host looks like a number but is not an IPv4 address");
    }
}
