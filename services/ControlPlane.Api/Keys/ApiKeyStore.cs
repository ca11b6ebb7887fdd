using System.Data;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Keys;

/// <summary>One api_keys row as the key routes read it (never the hash). Legacy rows without org or scope read as their project's.</summary>
/// <remarks>Settable properties, not a positional record: Dapper matches constructors on exact column types only.</remarks>
public sealed class ApiKeyRow
{
    public Guid Id { get; set; }
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public string KeyPrefix { get; set; } = "";
    public Guid? ProjectId { get; set; }
    public string[] Scopes { get; set; } = [];
    public Guid OrgId { get; set; }
    public string ScopeType { get; set; } = "";
    public Guid ScopeId { get; set; }
    public DateTime CreatedAt { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }

    public string Masked => KeyPrefix + "…";

    public ProjectKeyView ToProjectView() => new(Id, Name, Masked, KeyPrefix, ProjectId!.Value, Scopes, Utc(CreatedAt), CreatedBy,
        UtcOrNull(ExpiresAt), UtcOrNull(LastUsedAt), UtcOrNull(RevokedAt));

    public ControlPlaneKeyView ToControlPlaneView() => new(Id, Name, Masked, KeyPrefix, Scopes, ScopeType, ScopeId, Utc(CreatedAt), CreatedBy,
        UtcOrNull(ExpiresAt), UtcOrNull(LastUsedAt), UtcOrNull(RevokedAt));

    public AuditedKey ToAudited() => new(Id, Kind, Name, KeyPrefix, Scopes, ScopeType, ScopeId, UtcOrNull(ExpiresAt), UtcOrNull(RevokedAt));

    internal static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    internal static DateTimeOffset? UtcOrNull(DateTime? at) => at is { } value ? Utc(value) : null;
}

/// <summary>A key to insert: its hash only; the key itself is shown once and never stored.</summary>
public sealed record NewApiKey(
    Guid Id, string Kind, string Name, string KeyPrefix, byte[] KeyHash, Guid? ProjectId, string[] Scopes, Guid OrgId, string ScopeType, Guid ScopeId,
    Guid? CreatedBy, DateTimeOffset? ExpiresAt);

/// <summary>cpdb's api_keys for the key routes: list, create and revoke, each change with its audit entry in one transaction.</summary>
public sealed class ApiKeyStore([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb)
{
    private const string Select =
        """
        SELECT k.id AS Id, k.kind AS Kind, k.name AS Name, k.key_prefix AS KeyPrefix, k.project_id AS ProjectId, k.scopes AS Scopes,
               COALESCE(k.org_id, w.org_id) AS OrgId, COALESCE(k.scope_type, 'project') AS ScopeType,
               COALESCE(k.scope_id, k.project_id) AS ScopeId, k.created_at AS CreatedAt, k.created_by AS CreatedBy,
               k.expires_at AS ExpiresAt, k.last_used_at AS LastUsedAt, k.revoked_at AS RevokedAt
        FROM api_keys k
        LEFT JOIN projects p ON p.id = k.project_id
        LEFT JOIN workspaces w ON w.id = p.workspace_id
        """;

    public async Task<IReadOnlyList<ApiKeyRow>> ProjectKeysAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            Select + " WHERE k.kind = 'project' AND k.project_id = @projectId ORDER BY k.created_at, k.id",
            new { projectId }, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<ApiKeyRow>> ControlPlaneKeysAsync(Guid orgId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            Select + " WHERE k.kind = 'control_plane' AND k.org_id = @orgId ORDER BY k.created_at, k.id",
            new { orgId }, cancellationToken: cancellationToken))];
    }

    public async Task<ApiKeyRow?> FindAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            Select + " WHERE k.id = @keyId", new { keyId }, cancellationToken: cancellationToken));
    }

    /// <summary>The live workspaces of an org (a control-plane key may be scoped to one of them).</summary>
    public async Task<IReadOnlyList<Guid>> WorkspacesOfAsync(Guid orgId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM workspaces WHERE org_id = @orgId AND deleted_at IS NULL", new { orgId }, cancellationToken: cancellationToken))];
    }

    /// <summary>When the calling control-plane key expires (a key may not mint one that outlives it).</summary>
    public async Task<DateTimeOffset?> ExpiryOfAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var at = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT expires_at FROM api_keys WHERE id = @keyId", new { keyId }, cancellationToken: cancellationToken));
        return ApiKeyRow.UtcOrNull(at);
    }

    public async Task<ApiKeyRow> CreateAsync(NewApiKey key, Caller caller, string? ip, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_keys (id, kind, project_id, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes, created_by, expires_at)
            VALUES (@Id, @Kind, @ProjectId, @OrgId, @ScopeType, @ScopeId, @Name, @KeyPrefix, @KeyHash, @Scopes, @CreatedBy, @ExpiresAt)
            """, key, transaction, cancellationToken: cancellationToken));
        var row = await ReadAsync(connection, transaction, key.Id, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction,
            new AuditEntry(key.OrgId, caller, "api_key.created", "api_key", key.Id.ToString(), null, row.ToAudited(), ip), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>Revokes the key (idempotent: a revoked key keeps its first revocation time and gets no second audit entry).</summary>
    public async Task<ApiKeyRow> RevokeAsync(ApiKeyRow before, Caller caller, string? ip, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // updated_at moves so the controllers' sync sends the revocation to the data planes.
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = now(), updated_at = now() WHERE id = @Id AND revoked_at IS NULL",
            new { before.Id }, transaction, cancellationToken: cancellationToken));
        var after = await ReadAsync(connection, transaction, before.Id, cancellationToken);
        if (changed > 0)
        {
            await AuditLog.AppendAsync(connection, transaction,
                new AuditEntry(before.OrgId, caller, "api_key.revoked", "api_key", before.Id.ToString(), before.ToAudited(), after.ToAudited(), ip), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return after;
    }

    private static async Task<ApiKeyRow> ReadAsync(IDbConnection connection, IDbTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(Select + " WHERE k.id = @id", new { id }, transaction, cancellationToken: cancellationToken));
}
