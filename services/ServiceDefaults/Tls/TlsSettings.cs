using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace HoneyHive.ServiceDefaults.Tls;

/// <summary>
/// Section <c>Tls</c> (./hh fills it from <c>HH_TLS_CERT</c>, <c>HH_TLS_KEY</c>, <c>HH_TLS_CA</c>). With a certificate and
/// key every Kestrel endpoint serves TLS only; with <see cref="ClientCaPath"/> the controllers' stream endpoint also
/// requires a client certificate issued by that CA (mutual TLS), and the DP controller presents
/// <see cref="ClientCertificatePath"/>.
/// </summary>
public sealed record TlsSettings(
    string? CertificatePath,
    string? KeyPath,
    string? CaPath,
    string? ClientCaPath,
    string? ClientCertificatePath,
    string? ClientKeyPath,
    string ClientCertificateEndpoint)
{
    public const string Section = "Tls";

    /// <summary>The Kestrel endpoint of the CP controller's stream in the single node.</summary>
    public const string DefaultClientCertificateEndpoint = "ControllerGrpc";

    public bool ServesTls => !string.IsNullOrWhiteSpace(CertificatePath);

    public static TlsSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        string? Path(string name) => string.IsNullOrWhiteSpace(section[name]) ? null : section[name];
        var settings = new TlsSettings(Path("CertificatePath"), Path("KeyPath"), Path("CaPath"), Path("ClientCaPath"),
            Path("ClientCertificatePath"), Path("ClientKeyPath"), Path("ClientCertificateEndpoint") ?? DefaultClientCertificateEndpoint);
        settings.Validate();
        return settings;
    }

    private void Validate()
    {
        if ((CertificatePath is null) != (KeyPath is null))
            throw new InvalidOperationException("Tls:CertificatePath (HH_TLS_CERT) and Tls:KeyPath (HH_TLS_KEY) go together: set both PEM files or neither.");
        if ((ClientCertificatePath is null) != (ClientKeyPath is null))
            throw new InvalidOperationException("Tls:ClientCertificatePath and Tls:ClientKeyPath go together: set both PEM files or neither.");
        if (ClientCaPath is not null && !ServesTls)
            throw new InvalidOperationException("Tls:ClientCaPath asks for client certificates, which only a TLS endpoint can: set Tls:CertificatePath and Tls:KeyPath too.");
        foreach (var (name, path) in new[] { ("CertificatePath", CertificatePath), ("KeyPath", KeyPath), ("CaPath", CaPath), ("ClientCaPath", ClientCaPath), ("ClientCertificatePath", ClientCertificatePath), ("ClientKeyPath", ClientKeyPath) })
        {
            if (path is not null && !File.Exists(path)) throw new InvalidOperationException($"Tls:{name} names {path}, which does not exist.");
        }
    }

    /// <summary>The certificates of a PEM file (a CA bundle may hold several).</summary>
    public static X509Certificate2Collection LoadBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(path);
        if (bundle.Count == 0) throw new InvalidOperationException($"{path} holds no PEM certificate.");
        return bundle;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> and nothing else: the machine's
    /// own trusted roots do not count, so a certificate from any public CA is refused where only ours may connect.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, X509ChainPolicy? basePolicy = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy = basePolicy?.Clone() ?? new X509ChainPolicy();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>A server check for clients of our own endpoints: the name must match, the chain must end in <paramref name="roots"/>.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection roots) => (_, certificate, _, errors) =>
        certificate is not null
        && (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0
        && ChainsTo(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), roots);
}
