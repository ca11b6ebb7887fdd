using System.Net.Http.Json;
using HoneyHive.ServiceDefaults.Tls;

namespace HoneyHive.EndToEnd.Tests.Tls;

/// <summary>
/// The Host with Tls:CertificatePath/KeyPath/CaPath set, as ./hh up sets them from HH_TLS_CERT, HH_TLS_KEY and
/// HH_TLS_CA (with SSL_CERT_FILE holding the CA, as ./hh gives it): every port answers over TLS only, and the Host's
/// own clients (JWKS, the controllers' stream, the workflow backend) reach it over TLS, so /health is green.
/// </summary>
public sealed class TlsHost : HostProcess
{
    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("hh-e2e-ca");

    protected override string Scheme => "https";

    public override HttpMessageHandler CreateHandler() => new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = TlsSettings.TrustOnly(TlsSettings.LoadBundle(Ca.CaPath)) },
    };

    public override async Task InitializeAsync()
    {
        var (certificate, key) = Ca.IssueServer();
        ExtraEnvironment["Tls__CertificatePath"] = certificate;
        ExtraEnvironment["Tls__KeyPath"] = key;
        ExtraEnvironment["Tls__CaPath"] = Ca.CaPath;
        // What ./hh's tls_trust_bundle does: the machine's roots plus the CA, for every client in the process.
        var bundle = Path.Combine(Ca.Folder, "trust.pem");
        var system = "/etc/ssl/certs/ca-certificates.crt";
        await File.WriteAllTextAsync(bundle, (File.Exists(system) ? await File.ReadAllTextAsync(system) : "") + await File.ReadAllTextAsync(Ca.CaPath));
        ExtraEnvironment["SSL_CERT_FILE"] = bundle;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Ca.Dispose();
    }
}

public sealed class TlsHostTests(TlsHost host) : IClassFixture<TlsHost>
{
    [Fact]
    public async Task Every_http_port_refuses_plaintext()
    {
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var port in new[] { host.DataPlaneApi, host.ControlPlaneApi, host.OtlpHttp })
        {
            var cleartext = new UriBuilder(port) { Scheme = "http" }.Uri;
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new Uri(cleartext, "/health")));
        }
    }

    [Fact]
    public async Task Over_tls_the_host_is_healthy_including_its_own_link_between_the_controllers()
    {
        foreach (var api in new[] { host.DataPlaneApi, host.ControlPlaneApi })
        {
            using var client = host.Client(api);
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.Contains("controlplane-link", body);
        }
    }

    [Fact]
    public async Task A_control_plane_token_works_on_the_data_plane_which_fetched_the_jwks_over_tls()
    {
        var bootstrap = host.ReadBootstrap();
        using var cp = host.Client(host.ControlPlaneApi);
        using var login = await cp.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new
        {
            email = bootstrap.GetProperty("admin_email").GetString(),
            password = bootstrap.GetProperty("admin_password").GetString(),
        });
        Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());
        var token = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("access_token").GetString();

        using var dp = host.Client(host.DataPlaneApi, token);
        using var projects = await dp.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        var body = await projects.Content.ReadAsStringAsync();
        Assert.True(projects.IsSuccessStatusCode, body);
        Assert.Contains(host.ProjectId, body);
    }
}
