using System.Security.Cryptography;
using System.Text;
using Dapper;
using Grpc.Core;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Verifies a data plane's registration: the signature must match the public key it presents, the
/// timestamp must be fresh (no replay of an old registration), and the key must be the one pinned
/// for that DP id on its first registration (trust on first use).
/// </summary>
public sealed class DataPlaneRegistry([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb, TimeProvider clock)
{
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public async Task<string> RegisterAsync(Register register, CancellationToken cancellationToken)
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

        await connection.ExecuteAsync("UPDATE data_planes SET last_seen_at = now() WHERE id = @id", new { id = register.DataPlaneId });
        return register.DataPlaneId;
    }

    public async Task RecordHealthAsync(string dataPlaneId, HealthReport report, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE data_planes SET last_seen_at = now(), last_health = @status WHERE id = @id",
            new { id = dataPlaneId, status = report.Status });
    }

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
