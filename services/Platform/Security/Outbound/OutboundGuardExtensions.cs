using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Security.Outbound;

/// <summary>Registers the SSRF guard and puts it on an HttpClient.</summary>
public static class OutboundGuardExtensions
{
    /// <summary>
    /// The guard, its options (from configuration key <see cref="OutboundGuardOptions.AllowedPrivateHostsKey"/>) and the
    /// system resolver, unless one was registered before (tests map made-up names to private addresses).
    /// </summary>
    public static IServiceCollection AddOutboundGuard(this IServiceCollection services)
    {
        services.AddOptions<OutboundGuardOptions>()
            .Configure<IConfiguration>((options, configuration) => options.AllowedPrivateHosts = configuration[OutboundGuardOptions.AllowedPrivateHostsKey])
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboundGuardOptions>, OutboundGuardOptionsValidator>());
        services.TryAddSingleton<IOutboundResolver, DnsOutboundResolver>();
        services.TryAddSingleton<OutboundGuard>();
        return services;
    }

    /// <summary>
    /// Puts the guard on a named client whose primary handler is a <see cref="SocketsHttpHandler"/> (configured before
    /// this call): connections go through <see cref="OutboundGuard.ConnectAsync"/>, redirects through
    /// <see cref="GuardedRedirectHandler"/>. The handler's own redirects and proxy are turned off: the first would skip
    /// the checks, and through a proxy the guard would check the proxy's address instead of the target's.
    /// </summary>
    public static IHttpClientBuilder AddOutboundGuard(this IHttpClientBuilder builder)
    {
        builder.Services.AddOutboundGuard();
        builder.ConfigurePrimaryHttpMessageHandler((handler, services) =>
        {
            var sockets = handler as SocketsHttpHandler
                ?? throw new InvalidOperationException($"The outbound guard needs a SocketsHttpHandler as the primary handler of '{builder.Name}', not {handler.GetType().Name}.");
            sockets.AllowAutoRedirect = false;
            sockets.UseProxy = false;
            sockets.ConnectCallback = services.GetRequiredService<OutboundGuard>().ConnectAsync;
        });
        builder.AddHttpMessageHandler(services => new GuardedRedirectHandler(services.GetRequiredService<OutboundGuard>()));
        return builder;
    }
}

/// <summary>A malformed allowlist stops startup with the entry named, instead of failing the first outbound call.</summary>
internal sealed class OutboundGuardOptionsValidator : IValidateOptions<OutboundGuardOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboundGuardOptions options)
    {
        try
        {
            _ = new OutboundAddressPolicy(options.AllowedPrivateHosts);
            return ValidateOptionsResult.Success;
        }
        catch (FormatException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
