using System.Net;
using Dapper;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>Restarts and revocations: state that must survive, and state that must not linger.</summary>
public sealed class RestartTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task A_restart_creates_nothing_new_and_the_key_keeps_working()
    {
        var before = await File.ReadAllTextAsync(host.BootstrapPath);
        var key = host.ReadBootstrap().GetProperty("api_key").GetString()!;

        await host.StopAsync();
        await host.StartAsync();

        await using var cpdb = new NpgsqlConnection(host.CpdbConnectionString);
        Assert.Equal(1, await cpdb.ExecuteScalarAsync<int>("SELECT count(*) FROM orgs"));
        Assert.Equal(1, await cpdb.ExecuteScalarAsync<int>("SELECT count(*) FROM api_keys"));
        Assert.Equal(before, await File.ReadAllTextAsync(host.BootstrapPath));
        using var client = host.Client(host.DataPlaneApi, key);
        using var response = await client.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_key_revoked_on_the_control_plane_is_refused_by_the_data_plane_within_seconds()
    {
        var key = host.ReadBootstrap().GetProperty("api_key").GetString()!;
        using var client = host.Client(host.DataPlaneApi, key);
        using (var before = await client.GetAsync(new Uri("/v1/projects", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            await cpdb.ExecuteAsync("UPDATE api_keys SET revoked_at = now(), updated_at = now()");
        }

        try
        {
            // Sync every 0.5 s plus the 5 s key cache: refused well within 30 s, or the test fails.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            var status = HttpStatusCode.OK;
            while (DateTime.UtcNow < deadline && status != HttpStatusCode.Unauthorized)
            {
                await Task.Delay(250);
                using var response = await client.GetAsync(new Uri("/v1/projects", UriKind.Relative));
                status = response.StatusCode;
            }
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }
        finally
        {
            // The key belongs to the class's Host, which the other tests use: give it back even when this test fails.
            await using var restore = new NpgsqlConnection(host.CpdbConnectionString);
            await restore.ExecuteAsync("UPDATE api_keys SET revoked_at = NULL, updated_at = now()");
        }

        await Eventually.ValueAsync(async () => (await client.GetAsync(new Uri("/v1/projects", UriKind.Relative))).StatusCode,
            s => s == HttpStatusCode.OK, "the restored key to work again");
    }
}
