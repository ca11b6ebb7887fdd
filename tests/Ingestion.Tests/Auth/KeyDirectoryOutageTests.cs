using System.Net;
using System.Net.Sockets;
using HoneyHive.Ingestion.Auth;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using Xunit;

namespace HoneyHive.Ingestion.Tests.Auth;

/// <summary>
/// When dpdb cannot be reached, a key is neither accepted nor refused: ingestion must answer "retry
/// later" (503 / UNAVAILABLE), because OTLP exporters drop data on 401 and 500 but retry on 503.
/// </summary>
[Trait("Servers", "None")]
public sealed class KeyDirectoryOutageTests
{
    private const string Key = "hh_0123456789abcdef0123456789abcdef0123";

    [Fact]
    public async Task An_unreachable_key_store_is_unavailable_not_an_unknown_key()
    {
        await using var dpdb = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={ClosedPort()};Username=nobody;Timeout=3;Pooling=false");
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var directory = new ApiKeyDirectory(dpdb, cache, new ApiKeyDirectoryOptions());

        var error = await Assert.ThrowsAsync<KeyDirectoryUnavailableException>(() => directory.FindAsync(Key, CancellationToken.None));
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);

        var options = new AccessTokenOptions();
        using var jwks = new JwksKeySource(options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<JwksKeySource>.Instance);
        using var tokens = new DataPlaneTokens(jwks, options, TimeProvider.System);
        var authenticator = new DataPlaneAuthenticator(directory, tokens, new DataPlaneProjects(dpdb, cache, new ApiKeyDirectoryOptions()));
        var result = await new IngestAuthenticator(authenticator).AuthenticateAsync("Bearer " + Key, null, CancellationToken.None);
        Assert.True(result.Unavailable);
        Assert.Null(result.Tenant);
        Assert.False(result.Forbidden);
    }

    // A port that was just free and is closed again: connecting is refused at once.
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
