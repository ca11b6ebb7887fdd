using System.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Google.Protobuf;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>A snapshot or change set, in batches of at most <see cref="ControlPlaneSyncSource.ChunkSize"/> records; the last has Last = true.</summary>
public sealed record SyncRead(ulong Version, IReadOnlyList<SyncBatch> Batches)
{
    public int Records => Batches.Sum(b => b.Projects.Count + b.ApiKeys.Count + b.Alerts.Count);
}

/// <summary>
/// Reads from cpdb what data planes need: projects, project API key hashes and alert definitions, as a full snapshot
/// or as the changes since a sync version. Control-plane keys (kind 'control_plane') never leave the CP. A project is
/// live while it, its workspace and its virtual data plane are; a snapshot carries live objects only, and a change set
/// carries every changed object either as its current state or as deleted (gone, not live, or under a project that is not).
/// <para>
/// Versions (migration 0008): triggers append each change to <c>sync_changes</c> with the changing transaction's id. A
/// read takes place in one REPEATABLE READ transaction whose snapshot's xmin is the version it brings a DP to: every
/// transaction below it has ended, so the changes in [since, version) are complete and a late commit (a transaction
/// that began earlier and commits after the read) has an id ≥ version and comes with the next read. Metric and evaluator
/// configurations live on the DP (dpdb), not here, so they are not synced.
/// </para>
/// </summary>
public sealed class ControlPlaneSyncSource([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb)
{
    /// <summary>Records per batch: big enough to move 100,000 records in a few dozen messages, small enough for gRPC's message limit.</summary>
    public const int ChunkSize = 5000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string LiveProject = "p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL";
    private const string ProjectTree = "JOIN workspaces w ON w.id = p.workspace_id JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id";

    /// <summary>Everything a DP needs, as of the returned version.</summary>
    public async Task<SyncRead> ReadSnapshotAsync(CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var version = await WatermarkAsync(connection, transaction, cancellationToken);
        var projects = await ProjectsAsync(connection, transaction, LiveProject, null, cancellationToken);
        var keys = await KeysAsync(connection, transaction, $"k.kind = 'project' AND {LiveProject}", null, cancellationToken);
        var alerts = await AlertsAsync(connection, transaction, $"a.deleted_at IS NULL AND {LiveProject}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SyncRead(version, Chunk(true, version, projects, keys, alerts));
    }

    /// <summary>
    /// The changes since <paramref name="since"/>, or null when they cannot be told (changes pruned, or a version this
    /// cpdb never issued, e.g. after a restore from backup): the DP then needs a snapshot.
    /// </summary>
    public async Task<SyncRead?> ReadChangesAsync(ulong since, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var version = await WatermarkAsync(connection, transaction, cancellationToken);
        var prunedBelow = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT pruned_below FROM sync_state", transaction: transaction, cancellationToken: cancellationToken));
        if (since == 0 || since < (ulong)prunedBelow || since > version) return null;

        var changed = (await connection.QueryAsync<(string Kind, Guid Id)>(new CommandDefinition(
            "SELECT DISTINCT kind, object_id FROM sync_changes WHERE xid >= @since AND xid < @version",
            new { since = (long)since, version = (long)version }, transaction, cancellationToken: cancellationToken))).ToLookup(c => c.Kind, c => c.Id);
        var projectIds = changed["project"].ToArray();
        var keyIds = changed["api_key"].ToArray();
        var alertIds = changed["alert"].ToArray();

        List<ProjectRecord> projects = projectIds.Length == 0 ? [] : await ProjectsAsync(connection, transaction, "p.id = ANY(@ids)", projectIds, cancellationToken);
        List<ApiKeyRecord> keys = keyIds.Length == 0 ? [] : await KeysAsync(connection, transaction, "k.id = ANY(@ids)", keyIds, cancellationToken);
        List<AlertRecord> alerts = alertIds.Length == 0 ? [] : await AlertsAsync(connection, transaction, "a.id = ANY(@ids)", alertIds, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // Gone from cpdb altogether (a hard delete): deleted on the DP too.
        projects.AddRange(Missing(projectIds, projects.Select(p => p.Id)).Select(id => new ProjectRecord { Id = id, Deleted = true }));
        keys.AddRange(Missing(keyIds, keys.Select(k => k.Id)).Select(id => new ApiKeyRecord { Id = id, Deleted = true }));
        alerts.AddRange(Missing(alertIds, alerts.Select(a => a.Id)).Select(id => new AlertRecord { Id = id, Deleted = true }));
        return new SyncRead(version, Chunk(false, version, projects, keys, alerts));
    }

    /// <summary>
    /// The version that covers every transaction committed by now (the next transaction id): a DP at or past it has them all.
    /// </summary>
    public async Task<ulong> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return (ulong)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Removes changes older than <paramref name="retention"/> and raises pruned_below past them, so a DP that was away
    /// longer than that gets a snapshot. Returns how many were removed.
    /// </summary>
    public async Task<int> PruneAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            """
            WITH gone AS (DELETE FROM sync_changes WHERE changed_at < now() - @retention RETURNING xid),
                 raised AS (UPDATE sync_state SET pruned_below = greatest(pruned_below, (SELECT max(xid) + 1 FROM gone))
                            WHERE EXISTS (SELECT 1 FROM gone))
            SELECT count(*)::int FROM gone
            """, new { retention }, cancellationToken: cancellationToken));
    }

    private static async Task<ulong> WatermarkAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        (ulong)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", transaction: transaction, cancellationToken: cancellationToken));

    private static IEnumerable<string> Missing(Guid[] asked, IEnumerable<string> found)
    {
        var present = found.ToHashSet(StringComparer.Ordinal);
        return asked.Select(id => id.ToString()).Where(id => !present.Contains(id));
    }

    private static async Task<List<ProjectRecord>> ProjectsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string where, Guid[]? ids, CancellationToken cancellationToken)
    {
        // The retention a project has is its own, or its org's default (a change of that default notes the projects it covers).
        var rows = await connection.QueryAsync<ProjectSyncRow>(new CommandDefinition(
            $"""
            SELECT p.id AS Id, w.org_id AS OrgId, p.workspace_id AS WorkspaceId, p.name AS Name, p.description AS Description, {LiveProject} AS Live,
                   COALESCE(p.retention_days, o.default_retention_days) AS RetentionDays, p.ingest_spans_per_second AS IngestSpansPerSecond,
                   p.ingest_spans_per_day AS IngestSpansPerDay, p.api_requests_per_minute AS ApiRequestsPerMinute
            FROM projects p {ProjectTree} JOIN orgs o ON o.id = w.org_id WHERE {where}
            """,
            new { ids }, transaction, cancellationToken: cancellationToken));
        // A project that is not live is sent as deleted: the DP drops it and, with it, its keys and alerts.
        return [.. rows.Select(p => p.Live
            ? new ProjectRecord
            {
                Id = p.Id.ToString(), OrgId = p.OrgId.ToString(), WorkspaceId = p.WorkspaceId.ToString(), Name = p.Name, Description = p.Description,
                RetentionDays = p.RetentionDays,
                IngestSpansPerSecond = p.IngestSpansPerSecond ?? 0, IngestSpansPerDay = p.IngestSpansPerDay ?? 0, ApiRequestsPerMinute = p.ApiRequestsPerMinute ?? 0,
            }
            : new ProjectRecord { Id = p.Id.ToString(), Deleted = true })];
    }

    private static async Task<List<ApiKeyRecord>> KeysAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string where, Guid[]? ids, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(Guid Id, Guid ProjectId, byte[] KeyHash, string[] Scopes, bool Revoked, DateTime? ExpiresAt, bool Live)>(new CommandDefinition(
            $"""
            SELECT k.id, k.project_id, k.key_hash, k.scopes, k.revoked_at IS NOT NULL, k.expires_at, k.kind = 'project' AND {LiveProject}
            FROM api_keys k JOIN projects p ON p.id = k.project_id {ProjectTree}
            WHERE {where}
            """, new { ids }, transaction, cancellationToken: cancellationToken));
        return [.. rows.Select(k =>
        {
            if (!k.Live) return new ApiKeyRecord { Id = k.Id.ToString(), Deleted = true };
            var record = new ApiKeyRecord
            {
                Id = k.Id.ToString(), ProjectId = k.ProjectId.ToString(), KeyHash = ByteString.CopyFrom(k.KeyHash), Revoked = k.Revoked,
                ExpiresAtUnixMs = k.ExpiresAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : 0,
            };
            record.Scopes.AddRange(k.Scopes);
            return record;
        })];
    }

    private static async Task<List<AlertRecord>> AlertsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string where, Guid[]? ids, CancellationToken cancellationToken)
    {
        // Where notifications go (addresses, webhook URLs and secrets) stays here; the DP gets what it evaluates.
        var rows = await connection.QueryAsync<AlertSyncRow>(new CommandDefinition(
            $"""
            SELECT a.id, a.project_id AS ProjectId, a.name, a.alert_type AS AlertType, a.frequency, a.aggregation,
                   a.minimum_sample_size AS MinimumSampleSize, a.event_filters::text AS EventFilters, a.event_metrics::text AS EventMetrics,
                   a.thresholds::text AS Thresholds, a.status, a.muted_until AS MutedUntil, a.recovery_seconds AS RecoverySeconds,
                   a.updated_at AS UpdatedAt, NOT (a.deleted_at IS NULL AND {LiveProject}) AS Deleted
            FROM alerts a JOIN projects p ON p.id = a.project_id {ProjectTree}
            WHERE {where}
            """, new { ids }, transaction, cancellationToken: cancellationToken));
        return [.. rows.Select(a => new AlertRecord
        {
            Id = a.Id.ToString(), ProjectId = a.ProjectId.ToString(), Deleted = a.Deleted,
            DefinitionJson = a.Deleted ? ByteString.Empty : ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(a.Definition(), Json)),
        })];
    }

    /// <summary>Projects first, then keys, then alerts (a key's project is applied before it), at most <see cref="ChunkSize"/> records a batch.</summary>
    private static List<SyncBatch> Chunk(bool snapshot, ulong version, List<ProjectRecord> projects, List<ApiKeyRecord> keys, List<AlertRecord> alerts)
    {
        var batches = new List<SyncBatch>();
        var current = new SyncBatch { FullSnapshot = snapshot, Version = version };
        var count = 0;
        void Room()
        {
            if (count < ChunkSize) return;
            batches.Add(current);
            current = new SyncBatch { FullSnapshot = snapshot, Version = version };
            count = 0;
        }
        foreach (var p in projects) { Room(); current.Projects.Add(p); count++; }
        foreach (var k in keys) { Room(); current.ApiKeys.Add(k); count++; }
        foreach (var a in alerts) { Room(); current.Alerts.Add(a); count++; }
        current.Last = true;
        batches.Add(current);
        return batches;
    }

    private sealed record ProjectSyncRow(Guid Id, Guid OrgId, Guid WorkspaceId, string Name, string Description, bool Live, int RetentionDays,
        long? IngestSpansPerSecond, long? IngestSpansPerDay, long? ApiRequestsPerMinute);

    private sealed class AlertSyncRow
    {
        public Guid Id { get; init; }
        public Guid ProjectId { get; init; }
        public string Name { get; init; } = "";
        public string AlertType { get; init; } = "";
        public string Frequency { get; init; } = "";
        public string Aggregation { get; init; } = "";
        public int MinimumSampleSize { get; init; }
        public string EventFilters { get; init; } = "[]";
        public string EventMetrics { get; init; } = "[]";
        public string Thresholds { get; init; } = "{}";
        public string Status { get; init; } = "";
        public DateTime? MutedUntil { get; init; }
        public int RecoverySeconds { get; init; }
        public DateTime UpdatedAt { get; init; }
        public bool Deleted { get; init; }

        public AlertDefinition Definition() => new(
            Id.ToString(), ProjectId.ToString(), Name, AlertType, Frequency, Aggregation, MinimumSampleSize,
            (JsonArray)JsonNode.Parse(EventFilters)!,
            JsonNode.Parse(EventMetrics) is JsonArray { Count: > 0 } metrics ? metrics[0]?["projection"]?.GetValue<string>() : null,
            JsonSerializer.Deserialize<AlertThresholds>(Thresholds, Json)!,
            // TRIGGERED and RESOLVED are what the engine reported; to it they are all "evaluate me".
            Status == AlertNames.Paused ? AlertNames.Paused : AlertNames.Active,
            MutedUntil is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) : null,
            RecoverySeconds, new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}
