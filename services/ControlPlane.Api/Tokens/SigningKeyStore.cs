using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tokens;

/// <summary>A row of <c>signing_keys</c>: the public JWK, the sealed private key, and when the key signs and is published.</summary>
/// <param name="CreatedAt">When it began signing (UTC, as every time here).</param>
/// <param name="RetiresAt">When it stops signing (the next key takes over).</param>
/// <param name="ExpiresAt">When it leaves the JWKS: retirement + token lifetime + clock skew, so tokens it signed last stay valid.</param>
public sealed record StoredSigningKey(
    string Kid, string PublicJwk, byte[] PrivateSealed, byte[] PrivateNonce, byte[] PrivateTag, string KekId,
    DateTime CreatedAt, DateTime RetiresAt, DateTime ExpiresAt);

/// <summary>
/// The access-token signing keys in cpdb: ES256 (P-256) keys the control plane generates, their private part
/// (PKCS#8) sealed with AES-256-GCM under the CP master key ring, bound to the kid and master key id as associated
/// data. All times come from the injected <see cref="TimeProvider"/>, so rotation can be tested by moving the clock.
/// </summary>
public sealed class SigningKeyStore(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring,
    IOptions<SigningKeyOptions> options,
    AccessTokenOptions tokens,
    ILogger<SigningKeyStore> logger)
{
    /// <summary>Service key of the CP's master key ring (the data plane's ring, in the same Host, is the unkeyed one).</summary>
    public const string RingKey = "controlplane";

    // "HHJWKS": instances starting or rotating together create one key, not one each.
    private const long RotationLockKey = 0x4848_4A57_4B53;

    /// <summary>How long a retired key stays published: tokens it signed just before retiring must still verify.</summary>
    public TimeSpan Overlap => tokens.Lifetime + tokens.ClockSkew;

    /// <summary>Every key still published at <paramref name="now"/>, newest first.</summary>
    public async Task<IReadOnlyList<StoredSigningKey>> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<StoredSigningKey>(new CommandDefinition(
            """
            SELECT kid AS Kid, public_jwk::text AS PublicJwk, private_sealed AS PrivateSealed, private_nonce AS PrivateNonce,
                   private_tag AS PrivateTag, kek_id AS KekId, created_at AS CreatedAt, retires_at AS RetiresAt, expires_at AS ExpiresAt
            FROM signing_keys WHERE expires_at > @now ORDER BY created_at DESC
            """, new { now }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// Makes sure one key signs at <paramref name="now"/> (creating it when none does), drops keys past their expiry,
    /// and re-seals keys still sealed under a previous master key. Serialized across instances by an advisory lock.
    /// </summary>
    public async Task EnsureActiveAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = RotationLockKey }, transaction, cancellationToken: cancellationToken));

        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM signing_keys WHERE expires_at <= @now", new { now }, transaction, cancellationToken: cancellationToken));
        if (deleted > 0) logger.LogInformation("Removed {Count} signing key(s) past their overlap", deleted);

        var active = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT kid FROM signing_keys WHERE created_at <= @now AND retires_at > @now ORDER BY created_at DESC LIMIT 1",
            new { now }, transaction, cancellationToken: cancellationToken));
        if (active is null)
        {
            var created = Generate(now);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO signing_keys (kid, algorithm, public_jwk, private_sealed, private_nonce, private_tag, kek_id, created_at, retires_at, expires_at)
                VALUES (@Kid, 'ES256', @PublicJwk::jsonb, @PrivateSealed, @PrivateNonce, @PrivateTag, @KekId, @CreatedAt, @RetiresAt, @ExpiresAt)
                """, created, transaction, cancellationToken: cancellationToken));
            logger.LogInformation("Created signing key {Kid}; it signs until {RetiresAt:O}", created.Kid, created.RetiresAt);
        }

        await RewrapAsync(connection, transaction, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Stops <paramref name="kid"/> signing now (its private key cannot be opened); tokens it signed stay valid until its expiry.</summary>
    public async Task RetireAsync(string kid, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retires_at = LEAST(retires_at, @now), expires_at = LEAST(expires_at, @expires) WHERE kid = @kid",
            new { kid, now, expires = now + Overlap }, cancellationToken: cancellationToken));
    }

    /// <summary>The private key of <paramref name="key"/>.</summary>
    /// <exception cref="CryptographicException">Its master key is not configured, or the sealed bytes were altered or moved to another row.</exception>
    public ECDsa OpenPrivateKey(StoredSigningKey key)
    {
        if (!ring.TryGet(key.KekId, out var kek))
            throw new CryptographicException($"Signing key {key.Kid} is sealed under master key {key.KekId}, which is not configured ({ControlPlaneKeyOptions.Settings.MasterKey} or {ControlPlaneKeyOptions.Settings.PreviousKeys}).");
        var pkcs8 = AesGcmSeal.Open(kek, new Sealed(key.PrivateSealed, key.PrivateNonce, key.PrivateTag), Context(key.Kid, key.KekId));
        try
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return ecdsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The public key of a stored JWK (P-256).</summary>
    public static ECDsaSecurityKey PublicKeyOf(string kid, string publicJwk)
    {
        var jwk = JsonNode.Parse(publicJwk)!.AsObject();
        var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes((string)jwk["x"]!), Y = Base64UrlEncoder.DecodeBytes((string)jwk["y"]!) },
        });
        return new ECDsaSecurityKey(ecdsa) { KeyId = kid };
    }

    private StoredSigningKey Generate(DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        var x = Base64UrlEncoder.Encode(q.X);
        var y = Base64UrlEncoder.Encode(q.Y);
        // RFC 7638 thumbprint: the kid names the key itself, so it is the same wherever the key is seen.
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));
        var jwk = new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = x, ["y"] = y, ["kid"] = kid, ["use"] = "sig", ["alg"] = AccessTokenClaims.Algorithm,
        };
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            var sealedKey = AesGcmSeal.Seal(ring.Current, pkcs8, Context(kid, ring.CurrentId));
            var retires = now + options.Value.RotationInterval;
            return new StoredSigningKey(kid, jwk.ToJsonString(), sealedKey.Ciphertext, sealedKey.Nonce, sealedKey.Tag, ring.CurrentId,
                now.UtcDateTime, retires.UtcDateTime, (retires + Overlap).UtcDateTime);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>After an operator rotated ControlPlane:MasterKey: re-seal what the previous key sealed, so that key can be dropped.</summary>
    private async Task RewrapAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stale = (await connection.QueryAsync<StoredSigningKey>(new CommandDefinition(
            """
            SELECT kid AS Kid, public_jwk::text AS PublicJwk, private_sealed AS PrivateSealed, private_nonce AS PrivateNonce,
                   private_tag AS PrivateTag, kek_id AS KekId, created_at AS CreatedAt, retires_at AS RetiresAt, expires_at AS ExpiresAt
            FROM signing_keys WHERE kek_id <> @current AND retires_at > @now
            """, new { current = ring.CurrentId, now }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var key in stale)
        {
            if (!ring.TryGet(key.KekId, out var kek))
            {
                logger.LogWarning("Signing key {Kid} is sealed under master key {KekId}, which is not configured; it cannot sign", key.Kid, key.KekId);
                continue;
            }
            var pkcs8 = AesGcmSeal.Open(kek, new Sealed(key.PrivateSealed, key.PrivateNonce, key.PrivateTag), Context(key.Kid, key.KekId));
            try
            {
                var resealed = AesGcmSeal.Seal(ring.Current, pkcs8, Context(key.Kid, ring.CurrentId));
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE signing_keys SET private_sealed = @Ciphertext, private_nonce = @Nonce, private_tag = @Tag, kek_id = @kekId WHERE kid = @kid",
                    new { resealed.Ciphertext, resealed.Nonce, resealed.Tag, kekId = ring.CurrentId, kid = key.Kid }, transaction, cancellationToken: cancellationToken));
                logger.LogInformation("Re-sealed signing key {Kid} under master key {KekId}", key.Kid, ring.CurrentId);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
    }

    private static byte[] Context(string kid, string kekId) => Encoding.UTF8.GetBytes($"honeyhive/signing-key/v1\n{kid}\n{kekId}");
}
