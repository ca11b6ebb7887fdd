using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using HoneyHive.ServiceDefaults.Tls;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>TLS on every listener when <c>Tls:CertificatePath</c> and <c>Tls:KeyPath</c> are set; mutual TLS on the controllers' stream.</summary>
public static class TlsExtensions
{
    /// <summary>
    /// Every Kestrel endpoint of the configuration becomes https with the configured PEM certificate, so a plaintext
    /// connection is refused on every port (none is left listening in the clear). URLs derived from the endpoints
    /// (the JWKS address, the workflow backend's) follow, since they are read from the same settings.
    /// </summary>
    public static IHostApplicationBuilder AddTls(this IHostApplicationBuilder builder)
    {
        var settings = TlsSettings.From(builder.Configuration);
        if (!settings.ServesTls) return builder;

        var configuration = builder.Configuration;
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint["Url"];
            if (url is not null && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                configuration[$"Kestrel:Endpoints:{endpoint.Key}:Url"] = "https://" + url["http://".Length..];
        }
        // The DP controller in the same process reaches the CP controller's endpoint, now https.
        if (configuration["Controller:ControlPlaneUrl"] is { } link && link.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            configuration["Controller:ControlPlaneUrl"] = "https://" + link["http://".Length..];

        var certificate = X509Certificate2.CreateFromPemFile(settings.CertificatePath!, settings.KeyPath);
        var clientRoots = settings.ClientCaPath is null ? null : TlsSettings.LoadBundle(settings.ClientCaPath);
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            if (clientRoots is null) return;
            // The loader the web host made from the same section is replaced by one that knows the stream's endpoint.
            kestrel.Configure(configuration.GetSection("Kestrel")).Endpoint(settings.ClientCertificateEndpoint, endpoint =>
                RequireClientCertificate(endpoint.HttpsOptions, clientRoots));
        });
        return builder;
    }

    /// <summary>Mutual TLS: a client certificate issued by one of <paramref name="roots"/> (and only them) or no connection.</summary>
    public static void RequireClientCertificate(HttpsConnectionAdapterOptions https, X509Certificate2Collection roots)
    {
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, errors) =>
            (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0 && TlsSettings.ChainsTo(certificate, roots, ClientPolicy);
    }

    // Client certificates must be meant for client authentication.
    private static readonly X509ChainPolicy ClientPolicy = new() { ApplicationPolicy = { new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2") } };

    /// <summary>
    /// The handler the DP controller's gRPC channel uses: it presents <c>Tls:ClientCertificatePath</c> when set and, with
    /// <c>Tls:CaPath</c>, trusts only that CA for the control plane's certificate; otherwise the machine's roots.
    /// </summary>
    public static SocketsHttpHandler ControllerStreamHandler(IConfiguration configuration)
    {
        var settings = TlsSettings.From(configuration);
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (settings.ClientCertificatePath is not null)
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(settings.ClientCertificatePath, settings.ClientKeyPath)];
        if (settings.CaPath is not null) handler.SslOptions.RemoteCertificateValidationCallback = TlsSettings.TrustOnly(TlsSettings.LoadBundle(settings.CaPath));
        return handler;
    }
}
