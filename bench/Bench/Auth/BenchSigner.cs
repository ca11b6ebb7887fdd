using System.Security.Cryptography;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.Bench.Auth;

/// <summary>
/// `bench auth --test-key` only: an ES256 key of the bench's own, served as a JWKS on 127.0.0.1 for the Host's data
/// plane (Auth:Tokens:JwksUrl), minting tokens shaped as the CP's. Stands in for the CP's sign-in where that route is
/// not available; the data plane verifies these exactly as it verifies the CP's.
/// </summary>
public sealed class BenchSigner : IAsyncDisposable
{
    private readonly ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string keyId = "bench-" + Guid.NewGuid().ToString("N")[..16];
    private WebApplication? server;

    public Uri JwksUrl { get; private set; } = null!;

    public async Task StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Not the appsettings.json beside the assembly (the Host's, with its Kestrel endpoints): loopback, any free port.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        server = builder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(false))) { KeyId = keyId });
        var document = System.Text.Json.JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = keyId, use = "sig", alg = "ES256" } } });
        server.MapGet("/.well-known/jwks.json", () => Microsoft.AspNetCore.Http.Results.Text(document, "application/json"));
        await server.StartAsync(ct);
        JwksUrl = new Uri(new Uri(server.Urls.First()), "/.well-known/jwks.json");
    }

    /// <summary>A token of a user holding <paramref name="permissions"/> on the whole org.</summary>
    public string Mint(Guid orgId, IEnumerable<string> permissions)
    {
        var options = new AccessTokenOptions();
        var grants = GrantRules.Serialize([new Grant(GrantScopes.Org, orgId, [.. permissions])]);
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            TokenType = AccessTokenClaims.TokenType,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = keyId }, AccessTokenClaims.Algorithm),
            Claims = new Dictionary<string, object>
            {
                [AccessTokenClaims.Subject] = Guid.NewGuid().ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
                [GrantRules.Claim] = System.Text.Json.JsonDocument.Parse(grants).RootElement,
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
        ecdsa.Dispose();
    }
}
