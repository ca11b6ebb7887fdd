using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dapper;
using HoneyHive.DataPlane.Api.Infrastructure;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Secrets;

public sealed record ProviderSecretInfo(string Provider, string Masked, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record RotationResult(int Rewrapped, int Unreadable, string KeyId);

/// <summary>
/// Provider API keys per workspace in dpdb, sealed by <see cref="EnvelopeCipher"/>. Listing and
/// masked reads never decrypt; only <see cref="GetAsync"/> (server-side callers) does.
/// Values never reach a log line or a response.
/// </summary>
public sealed partial class ProviderSecretStore(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    EnvelopeCipher cipher,
    ILogger<ProviderSecretStore> logger) : IProviderSecrets
{
    public const int MaxValueLength = 16_384;
    private const int RotationBatch = 100;

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex ProviderPattern();

    /// <summary>Provider names are case-insensitive ("OpenAI" is "openai").</summary>
    public static string NormalizeProvider(string provider)
    {
        var normalized = provider.Trim().ToLowerInvariant();
        return ProviderPattern().IsMatch(normalized)
            ? normalized
            : throw ApiRequestException.BadRequest("provider", "Must be 1-64 characters: letters, digits, '_', '-' or '.', starting with a letter or digit.");
    }

    public async Task<ProviderSecretInfo> PutAsync(Guid workspace, string provider, string value, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        if (string.IsNullOrWhiteSpace(value)) throw ApiRequestException.BadRequest("value", "Must not be empty.");
        if (value.Length > MaxValueLength) throw ApiRequestException.BadRequest("value", $"Must be at most {MaxValueLength} characters.");
        var sealedSecret = cipher.Seal(value, workspace, provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<InfoRow>(new CommandDefinition(
            """
            INSERT INTO provider_secrets (workspace_id, provider, ciphertext, nonce, tag, wrapped_key, key_nonce, key_tag, kek_id, masked)
            VALUES (@workspace, @provider, @Ciphertext, @Nonce, @Tag, @WrappedKey, @KeyNonce, @KeyTag, @KekId, @masked)
            ON CONFLICT (workspace_id, provider) DO UPDATE SET
                ciphertext = excluded.ciphertext, nonce = excluded.nonce, tag = excluded.tag, wrapped_key = excluded.wrapped_key,
                key_nonce = excluded.key_nonce, key_tag = excluded.key_tag, kek_id = excluded.kek_id, masked = excluded.masked, updated_at = now()
            RETURNING provider AS Provider, masked AS Masked, created_at AS CreatedAt, updated_at AS UpdatedAt
            """,
            new
            {
                workspace, provider, sealedSecret.Ciphertext, sealedSecret.Nonce, sealedSecret.Tag, sealedSecret.WrappedKey,
                sealedSecret.KeyNonce, sealedSecret.KeyTag, sealedSecret.KekId, masked = SecretMask.Mask(value),
            },
            cancellationToken: cancellationToken));
        logger.LogInformation("Stored the {Provider} secret of workspace {Workspace} under master key {KeyId}", provider, workspace, sealedSecret.KekId);
        return row.ToInfo();
    }

    public async Task<IReadOnlyList<ProviderSecretInfo>> ListAsync(Guid workspace, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<InfoRow>(new CommandDefinition(
            """
            SELECT provider AS Provider, masked AS Masked, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM provider_secrets WHERE workspace_id = @workspace ORDER BY provider LIMIT @limit
            """,
            new { workspace, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<ProviderSecretInfo?> GetInfoAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InfoRow>(new CommandDefinition(
            """
            SELECT provider AS Provider, masked AS Masked, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM provider_secrets WHERE workspace_id = @workspace AND provider = @provider
            """,
            new { workspace, provider }, cancellationToken: cancellationToken));
        return row?.ToInfo();
    }

    public async Task<bool> DeleteAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM provider_secrets WHERE workspace_id = @workspace AND provider = @provider",
            new { workspace, provider }, cancellationToken: cancellationToken)) > 0;
        if (deleted) logger.LogInformation("Deleted the {Provider} secret of workspace {Workspace}", provider, workspace);
        return deleted;
    }

    public async Task<string?> GetAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SealedRow>(new CommandDefinition(
            SealedSelect + " WHERE workspace_id = @workspace AND provider = @provider",
            new { workspace, provider }, cancellationToken: cancellationToken));
        if (row is null) return null;
        try
        {
            return cipher.Open(row.ToSealed(), workspace, provider);
        }
        catch (CryptographicException e)
        {
            logger.LogError("The {Provider} secret of workspace {Workspace} (master key {KeyId}) does not decrypt", provider, workspace, row.KekId);
            throw new ProviderSecretException(
                $"The {provider} secret of workspace {workspace} cannot be decrypted: its master key {row.KekId} is not configured, or the row was altered or moved.", e);
        }
    }

    public async Task<ProviderCredential?> GetCredentialAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        var secret = await GetAsync(workspace, provider, cancellationToken);
        return secret is null ? null : new ProviderCredential(NormalizeProvider(provider), null, null, [], secret);
    }

    /// <summary>
    /// Re-wraps the data keys of every secret (of one workspace, or all when null) that is not under
    /// the current master key yet; values are not re-encrypted. Rows under an unknown key are counted, left alone.
    /// </summary>
    public async Task<RotationResult> RotateAsync(Guid? workspace, CancellationToken cancellationToken)
    {
        var current = cipher.Ring.CurrentId;
        var readable = cipher.Ring.KnownIds.Where(id => id != current).ToArray();
        var rewrapped = 0;
        while (true)
        {
            await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var batch = (await connection.QueryAsync<SealedRow>(new CommandDefinition(
                SealedSelect + """
                 WHERE kek_id = ANY(@readable) AND (@workspace::uuid IS NULL OR workspace_id = @workspace)
                ORDER BY workspace_id, provider LIMIT @limit FOR UPDATE SKIP LOCKED
                """,
                new { readable, workspace, limit = RotationBatch }, transaction, cancellationToken: cancellationToken))).ToList();
            if (batch.Count == 0) break;
            foreach (var row in batch)
            {
                var fresh = cipher.Rewrap(row.ToSealed(), row.WorkspaceId, row.Provider);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE provider_secrets SET wrapped_key = @WrappedKey, key_nonce = @KeyNonce, key_tag = @KeyTag, kek_id = @KekId
                    WHERE workspace_id = @workspace AND provider = @provider
                    """,
                    new { fresh.WrappedKey, fresh.KeyNonce, fresh.KeyTag, fresh.KekId, workspace = row.WorkspaceId, provider = row.Provider },
                    transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
            rewrapped += batch.Count;
        }

        await using var count = await dpdb.OpenConnectionAsync(cancellationToken);
        var known = cipher.Ring.KnownIds.ToArray();
        var unreadable = await count.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM provider_secrets WHERE NOT (kek_id = ANY(@known)) AND (@workspace::uuid IS NULL OR workspace_id = @workspace)",
            new { known, workspace }, cancellationToken: cancellationToken));
        logger.LogInformation(
            "Re-wrapped {Rewrapped} provider secret data keys under master key {KeyId}; {Unreadable} are under keys not configured",
            rewrapped, current, unreadable);
        return new RotationResult(rewrapped, unreadable, current);
    }

    private const string SealedSelect =
        """
        SELECT workspace_id AS WorkspaceId, provider AS Provider, ciphertext AS Ciphertext, nonce AS Nonce, tag AS Tag,
               wrapped_key AS WrappedKey, key_nonce AS KeyNonce, key_tag AS KeyTag, kek_id AS KekId
        FROM provider_secrets
        """;

    private sealed class InfoRow
    {
        public string Provider { get; set; } = "";
        public string Masked { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }

        public ProviderSecretInfo ToInfo() => new(Provider, Masked, CreatedAt, UpdatedAt);
    }

    private sealed class SealedRow
    {
        public Guid WorkspaceId { get; set; }
        public string Provider { get; set; } = "";
        public byte[] Ciphertext { get; set; } = [];
        public byte[] Nonce { get; set; } = [];
        public byte[] Tag { get; set; } = [];
        public byte[] WrappedKey { get; set; } = [];
        public byte[] KeyNonce { get; set; } = [];
        public byte[] KeyTag { get; set; } = [];
        public string KekId { get; set; } = "";

        public SealedSecret ToSealed() => new(Ciphertext, Nonce, Tag, WrappedKey, KeyNonce, KeyTag, KekId);
    }
}
