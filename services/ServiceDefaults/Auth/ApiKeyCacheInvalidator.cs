using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// Drops a key from <see cref="ApiKeyDirectory"/>'s cache the moment the DP controller revokes or removes it in dpdb
/// (NOTIFY <see cref="Channel"/> with the key's hash in hex, delivered on commit), so a revocation does not wait out the
/// cache's lifetime. The cache lifetime stays the bound when a notification is lost (this listener reconnecting).
/// </summary>
public sealed class ApiKeyCacheInvalidator(
    [FromKeyedServices("dpdb")] NpgsqlDataSource dpdb, ApiKeyDirectory keys, ILogger<ApiKeyCacheInvalidator> logger) : BackgroundService
{
    public const string Channel = "api_keys_revoked";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dpdb.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => keys.Forget(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(stoppingToken);
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                logger.LogWarning("Listening for revoked keys failed ({Reason}); the key cache's lifetime bounds revocations until it is back", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
