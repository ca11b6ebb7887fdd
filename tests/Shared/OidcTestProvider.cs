using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HoneyHive.Tests.Shared;

/// <summary>A client registered at the test provider.</summary>
public sealed record OidcTestClient(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secret")] string ClientSecret,
    [property: JsonPropertyName("redirect_uris")] string[] RedirectUris,
    [property: JsonPropertyName("token_endpoint_auth_method")] string TokenEndpointAuthMethod = "client_secret_basic");

/// <summary>
/// A real OpenID provider for the tests: npm <c>oidc-provider</c> (tests/oidc-provider/start.mjs) started with node on a
/// free loopback port with the given clients. Its sign-in page takes any email (no password); an email starting with
/// "unverified" is asserted with <c>email_verified=false</c>. Also drives that page over plain HTTP for tests that do
/// not need a browser (<see cref="AuthorizeAsync"/>) and exchanges codes itself (<see cref="ExchangeAsync"/>) to obtain
/// genuine ID tokens.
/// </summary>
public sealed class OidcTestProvider : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder errors = new();

    private OidcTestProvider(Process process, Uri issuer)
    {
        this.process = process;
        Issuer = issuer;
    }

    /// <summary>The issuer, without a trailing slash (<c>http://127.0.0.1:port</c>).</summary>
    public Uri Issuer { get; }

    public string IssuerText => Issuer.GetLeftPart(UriPartial.Authority);

    public static async Task<OidcTestProvider> StartAsync(params OidcTestClient[] clients)
    {
        var folder = Path.Combine(Checkout.Root, "tests", "oidc-provider");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "oidc-provider")))
            throw new InvalidOperationException($"oidc-provider is not installed in {folder}: run the tests with ./hh test (it runs npm ci there), or npm ci in that folder.");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true, // the provider exits when this pipe closes, even if the test process crashes
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "start.mjs", "--clients", JsonSerializer.Serialize(clients) }) start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(startup.Token) is { } line)
        {
            if (line.StartsWith("OIDC_ISSUER=", StringComparison.Ordinal))
            {
                var provider = new OidcTestProvider(process, new Uri(line["OIDC_ISSUER=".Length..]));
                process.ErrorDataReceived += (_, e) => { lock (provider.errors) provider.errors.AppendLine(e.Data); };
                process.BeginErrorReadLine();
                return provider;
            }
        }
        throw new InvalidOperationException($"The OpenID provider exited before listening: {await process.StandardError.ReadToEndAsync(startup.Token)}");
    }

    /// <summary>What the provider wrote to stderr (its warnings and errors), for failure messages.</summary>
    public string Errors { get { lock (errors) return errors.ToString(); } }

    /// <summary>
    /// Follows <paramref name="authorizationUrl"/> as a browser would and signs in as <paramref name="email"/> on the
    /// provider's page; returns where the provider sends the browser back (the relying party's redirect URI with
    /// <c>code</c>, <c>state</c> and <c>iss</c>, or an error), without requesting it.
    /// </summary>
    public async Task<Uri> AuthorizeAsync(Uri authorizationUrl, string email)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var next = authorizationUrl;
        for (var hop = 0; hop < 10; hop++)
        {
            if (next.GetLeftPart(UriPartial.Authority) != IssuerText) return next;
            HttpResponseMessage response;
            if (next.AbsolutePath.StartsWith("/interaction/", StringComparison.Ordinal))
                response = await client.PostAsync(new Uri(next, next.AbsolutePath.TrimEnd('/') + "/login"), new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = email }));
            else
                response = await client.GetAsync(next);
            using (response)
            {
                if (response.Headers.Location is not { } location)
                    throw new InvalidOperationException($"The provider answered {(int)response.StatusCode} at {next} without a redirect: {await response.Content.ReadAsStringAsync()}\n{Errors}");
                next = location.IsAbsoluteUri ? location : new Uri(next, location);
            }
        }
        throw new InvalidOperationException("The provider redirected more than 10 times.");
    }

    /// <summary>An authorization URL of this provider for <paramref name="client"/> (PKCE S256 with <paramref name="verifier"/>).</summary>
    public Uri AuthorizationUrl(OidcTestClient client, string state, string nonce, string verifier) =>
        new($"{IssuerText}/auth?response_type=code&client_id={Uri.EscapeDataString(client.ClientId)}&redirect_uri={Uri.EscapeDataString(client.RedirectUris[0])}"
            + $"&scope=openid%20email%20profile&state={state}&nonce={nonce}&code_challenge={Challenge(verifier)}&code_challenge_method=S256");

    /// <summary>Exchanges a code at the token endpoint as <paramref name="client"/>; the ID token.</summary>
    public async Task<string> ExchangeAsync(OidcTestClient client, Uri callback, string verifier)
    {
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query).GetValueOrDefault("code").ToString();
        if (code.Length == 0) throw new InvalidOperationException($"No code in {callback}");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{IssuerText}/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = client.RedirectUris[0], ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.ClientId}:{client.ClientSecret}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"The token endpoint answered {(int)response.StatusCode}: {body}");
        return body.GetProperty("id_token").GetString()!;
    }

    public static string Challenge(string verifier) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

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
    }
}
