using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace HoneyHive.Tests.Shared;

/// <summary>What an IdP's auto-submitting page posts to the SP: where, the SAMLResponse, and the RelayState.</summary>
public sealed record SamlPost(Uri Action, string SamlResponse, string? RelayState);

/// <summary>
/// A real SAML 2.0 identity provider for the tests: npm <c>samlify</c> (tests/samlidp/start.js) started with node on a
/// free loopback port, signing with an RSA key and self-signed certificate made here. It trusts the SPs whose metadata
/// is posted to it (<see cref="TrustAsync"/>); its sign-in page takes any email (no password). Also drives that page
/// over plain HTTP for tests that do not need a browser (<see cref="SignInAsync"/>, <see cref="InitiateAsync"/>).
/// </summary>
public sealed partial class SamlTestIdp : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;
    private readonly StringBuilder errors = new();

    private SamlTestIdp(Process process, string folder, string entityId, Uri baseUrl, string certificatePem)
    {
        this.process = process;
        this.folder = folder;
        EntityId = entityId;
        BaseUrl = baseUrl;
        CertificatePem = certificatePem;
    }

    public string EntityId { get; }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Its HTTP-Redirect SingleSignOnService URL.</summary>
    public string SsoUrl => new Uri(BaseUrl, "/sso").AbsoluteUri;

    /// <summary>The certificate of its signing key, PEM, as an admin pastes it into the connection.</summary>
    public string CertificatePem { get; }

    public static async Task<SamlTestIdp> StartAsync(string entityId)
    {
        var peer = Path.Combine(Checkout.Root, "tests", "samlidp");
        if (!Directory.Exists(Path.Combine(peer, "node_modules", "samlify")))
            throw new InvalidOperationException($"samlify is not installed in {peer}: run the tests with ./hh test (it runs npm ci there), or npm ci in that folder.");
        var folder = Path.Combine(Path.GetTempPath(), "hh-samlidp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={entityId}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var certificatePem = certificate.ExportCertificatePem();
        await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Path.Combine(folder, "cert.pem"), certificatePem);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = peer,
            RedirectStandardInput = true, // the IdP exits when this pipe closes, even if the test process crashes
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "start.js", "--entity-id", entityId, "--key", Path.Combine(folder, "key.pem"), "--cert", Path.Combine(folder, "cert.pem") })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(startup.Token) is { } line)
        {
            if (line.StartsWith("SAMLIDP_PORT=", StringComparison.Ordinal))
            {
                var idp = new SamlTestIdp(process, folder, entityId, new Uri($"http://127.0.0.1:{line["SAMLIDP_PORT=".Length..]}"), certificatePem);
                process.ErrorDataReceived += (_, e) => { lock (idp.errors) idp.errors.AppendLine(e.Data); };
                process.BeginErrorReadLine();
                return idp;
            }
        }
        throw new InvalidOperationException($"The SAML IdP exited before listening: {await process.StandardError.ReadToEndAsync(startup.Token)}");
    }

    /// <summary>What the IdP wrote to stderr, for failure messages.</summary>
    public string Errors { get { lock (errors) return errors.ToString(); } }

    /// <summary>Makes the IdP trust the SP of <paramref name="metadataXml"/> (as an admin imports our SP metadata).</summary>
    public async Task TrustAsync(string metadataXml)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(new Uri(BaseUrl, "/sps"), new StringContent(metadataXml, Encoding.UTF8, "application/xml"));
        if (response.StatusCode != HttpStatusCode.NoContent)
            throw new InvalidOperationException($"The IdP refused the SP metadata ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}\n{Errors}");
    }

    /// <summary>
    /// Opens <paramref name="authnRequestUrl"/> (our redirect to the IdP) as a browser would, signs in as
    /// <paramref name="email"/> on the IdP's page, and returns what its auto-submitting page would POST to the SP.
    /// </summary>
    public async Task<SamlPost> SignInAsync(Uri authnRequestUrl, string email)
    {
        using var client = new HttpClient();
        var page = await client.GetStringAsync(authnRequestUrl);
        var fields = new Dictionary<string, string>
        {
            ["SAMLRequest"] = Field(page, "SAMLRequest") ?? throw new InvalidOperationException($"The IdP's page has no SAMLRequest: {page}\n{Errors}"),
            ["RelayState"] = Field(page, "RelayState") ?? "",
            ["query"] = Field(page, "query") ?? "",
            ["email"] = email,
        };
        using var response = await client.PostAsync(new Uri(BaseUrl, "/sso"), new FormUrlEncodedContent(fields));
        return ReadPost(await response.Content.ReadAsStringAsync());
    }

    /// <summary>IdP-initiated sign-in of <paramref name="email"/> at the SP <paramref name="spEntityId"/>: what the IdP would POST.</summary>
    public async Task<SamlPost> InitiateAsync(string spEntityId, string email, string? relayState = null)
    {
        using var client = new HttpClient();
        var url = new Uri(BaseUrl, $"/initiate?sp={Uri.EscapeDataString(spEntityId)}&email={Uri.EscapeDataString(email)}"
            + (relayState is null ? "" : "&RelayState=" + Uri.EscapeDataString(relayState)));
        return ReadPost(await client.GetStringAsync(url));
    }

    private SamlPost ReadPost(string page)
    {
        var action = ActionPattern().Match(page) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
        var response = Field(page, "SAMLResponse");
        if (action is null || response is null) throw new InvalidOperationException($"The IdP answered no SAML form: {page}\n{Errors}");
        return new SamlPost(new Uri(action), response, Field(page, "RelayState"));
    }

    private static string? Field(string page, string name) =>
        Regex.Match(page, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"")]
    private static partial Regex ActionPattern();

    public async ValueTask DisposeAsync()
    {
        process.StandardInput.Close();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
