using HoneyHive.Platform.Security.Outbound;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Tests.Security.Outbound;

internal static class GuardFactory
{
    public static OutboundGuard Create(string? allowlist = null, MappedResolver? resolver = null) =>
        new(Options.Create(new OutboundGuardOptions { AllowedPrivateHosts = allowlist }), resolver ?? new MappedResolver());

    /// <summary>A client wired as the proxy's: SocketsHttpHandler with the guard's connect callback, and guarded redirects.</summary>
    public static HttpClient Client(OutboundGuard guard) =>
        new(new GuardedRedirectHandler(guard)
        {
            InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, ConnectCallback = guard.ConnectAsync },
        });
}
