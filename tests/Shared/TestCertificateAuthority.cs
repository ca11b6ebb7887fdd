using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HoneyHive.Tests.Shared;

/// <summary>
/// A certificate authority made in the test (CertificateRequest, ECDSA P-256) that issues server certificates for
/// 127.0.0.1 / localhost and client certificates, written as PEM files the way an operator would configure them.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa key;

    private TestCertificateAuthority(string folder, ECDsa key, X509Certificate2 certificate)
    {
        Folder = folder;
        this.key = key;
        Certificate = certificate;
        CaPath = Path.Combine(folder, "ca.pem");
        File.WriteAllText(CaPath, certificate.ExportCertificatePem());
    }

    public string Folder { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>The CA's certificate as PEM (what HH_TLS_CA names).</summary>
    public string CaPath { get; }

    public static TestCertificateAuthority Create(string name)
    {
        // A temporary folder of its own: these tests need no test servers (nor HH_TEST_DATA).
        var folder = Directory.CreateTempSubdirectory($"hh-tls-{name}-").FullName;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificateAuthority(folder, key, request.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(2)));
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost: (certificate PEM path, key PEM path).</summary>
    public (string CertificatePath, string KeyPath) IssueServer(string name = "server")
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        return Issue(name, "1.3.6.1.5.5.7.3.1", san.Build());
    }

    /// <summary>A client certificate (client authentication only): (certificate PEM path, key PEM path).</summary>
    public (string CertificatePath, string KeyPath) IssueClient(string name = "client") => Issue(name, "1.3.6.1.5.5.7.3.2", null);

    private (string, string) Issue(string name, string usage, X509Extension? san)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Certificate, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12));
        var certificatePath = Path.Combine(Folder, $"{name}.pem");
        var keyPath = Path.Combine(Folder, $"{name}-key.pem");
        File.WriteAllText(certificatePath, issued.ExportCertificatePem());
        File.WriteAllText(keyPath, leafKey.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        key.Dispose();
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
