using System.Security.Cryptography;
using System.Text;
using Dapper;
using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Verifies a data plane's registration: the signature must match the public key it presents, the
/// timestamp must be fresh (no replay of an old registration), and the key must be the one pinned
/// for that DP id on its first registration (trust on first use). A registered DP gets a signed identity document
/// (<see cref="DataPlaneIdentityDocument"/>) from the CP controller's key.
/// </summary>
public sealed class DataPlaneRegistry(
    [FromKeyedServices("cpdb")] NpgsqlDataSource cpdb, ControlPlaneIdentityKey identityKey, IOptions<SyncOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public async Task<Registered> RegisterAsync(Register register, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(register.DataPlaneId) || register.DataPlaneId.Length > 128)
            throw Denied(StatusCode.InvalidArgument, "data_plane_id must be 1 to 128 characters.");

        var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(register.TimestampUnixMs);
        if (age.Duration() > MaxClockSkew)
            throw Denied(StatusCode.PermissionDenied, "The registration timestamp is too old or in the future; check the clocks.");

        var publicKey = register.PublicKey.ToByteArray();
        if (!SignatureIsValid(register, publicKey))
            throw Denied(StatusCode.PermissionDenied, "The registration signature does not match the public key.");

        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO data_planes (id, public_key) VALUES (@id, @key) ON CONFLICT (id) DO NOTHING",
            new { id = register.DataPlaneId, key = publicKey });
        var pinned = await connection.ExecuteScalarAsync<byte[]>(
            "SELECT public_key FROM data_planes WHERE id = @id", new { id = register.DataPlaneId });
        if (pinned is null || !CryptographicOperations.FixedTimeEquals(pinned, publicKey))
            throw Denied(StatusCode.PermissionDenied, $"Data plane '{register.DataPlaneId}' is registered with another key.");

        var issuedAt = clock.GetUtcNow();
        var lifetime = options.Value.IdentityLifetime;
        var document = DataPlaneIdentityDocument.Issue(identityKey.Key, register.DataPlaneId, publicKey, issuedAt, lifetime);
        await connection.ExecuteAsync(
            "UPDATE data_planes SET last_seen_at = now(), identity_issued_at = @issuedAt, identity_expires_at = @expiresAt WHERE id = @id",
            new { id = register.DataPlaneId, issuedAt = issuedAt.UtcDateTime, expiresAt = (issuedAt + lifetime).UtcDateTime });
        return new Registered
        {
            DataPlaneId = register.DataPlaneId,
            IdentityDocument = document,
            ControlPlanePublicKey = Google.Protobuf.ByteString.CopyFrom(identityKey.PublicKey),
        };
    }

    /// <summary>Keeps the DP's latest health report (status, every check, ingestion rate, Writer lag, sync version).</summary>
    public async Task RecordHealthAsync(string dataPlaneId, HealthReport report, CancellationToken cancellationToken)
    {
        var health = new
        {
            status = report.Status,
            checks = report.Checks.OrderBy(c => c.Key, StringComparer.Ordinal).Take(64).ToDictionary(c => Truncate(c.Key), c => Truncate(c.Value)),
            ingestion_events_per_second = Finite(report.IngestionEventsPerSecond),
            writer_lag_seconds = Finite(report.WriterLagSeconds),
            writer_backlog = report.WriterBacklog,
            reported_at = report.ReportedAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(report.ReportedAtUnixMs) : (DateTimeOffset?)null,
        };
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE data_planes SET last_seen_at = now(), last_health = @status, health = @health::jsonb, health_reported_at = now(),
                sync_version = @version
            WHERE id = @id
            """,
            new { id = dataPlaneId, status = Truncate(report.Status), health = System.Text.Json.JsonSerializer.Serialize(health), version = (long)report.SyncVersion },
            cancellationToken: cancellationToken));
    }

    // A DP's report is shown to people: bounded, and no NaN or infinity (JSON has none).
    private static string Truncate(string value) => value.Length <= 200 ? value : value[..200];

    private static double? Finite(double value) => double.IsFinite(value) && value >= 0 ? value : null;

    /// <summary>The bytes a data plane signs to register.</summary>
    public static byte[] SignedPayload(string dataPlaneId, long timestampUnixMs) =>
        Encoding.UTF8.GetBytes($"{dataPlaneId}|{timestampUnixMs}");

    private static bool SignatureIsValid(Register register, byte[] publicKey)
    {
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(publicKey, out _);
            return ecdsa.KeySize == 256
                && ecdsa.VerifyData(SignedPayload(register.DataPlaneId, register.TimestampUnixMs), register.Signature.Span, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static RpcException Denied(StatusCode code, string message) => new(new Status(code, message));
}
