using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Google.Protobuf;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.ControllerSync;
using Npgsql;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// Reads from cpdb what data planes need: projects, project API key hashes and alert definitions, all or changed since a point.
/// Control-plane keys (kind 'control_plane') never leave the CP. A project is sent as deleted when it, its
/// workspace or its virtual data plane is (soft) deleted; a snapshot simply leaves it out, and its keys with it.
/// </summary>
public sealed class ControlPlaneSyncSource([FromKeyedServices("cpdb")] NpgsqlDataSource cpdb)
{
    // A transaction that started before our read can commit rows stamped before it; reading a window
    // that overlaps the previous one catches them. Upserts on the DP make the repeats harmless.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Records changed since <paramref name="since"/> (all when null) and the point to continue from.</summary>
    public async Task<(SyncBatch Batch, DateTime Next)> ReadAsync(DateTime? since, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var now = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT now()", cancellationToken: cancellationToken));
        var parameters = new { since = since - Overlap, snapshot = since is null };

        // A delete anywhere up the tree stamps that node's deleted_at (and updated_at), not the project's: look at all three.
        var projects = await connection.QueryAsync<ProjectSyncRow>(new CommandDefinition(
            """
            SELECT p.id AS Id, w.org_id AS OrgId, p.workspace_id AS WorkspaceId, p.name AS Name, p.description AS Description,
                   (p.deleted_at IS NOT NULL OR w.deleted_at IS NOT NULL OR v.deleted_at IS NOT NULL) AS Deleted,
                   p.ingest_spans_per_second AS IngestSpansPerSecond, p.ingest_spans_per_day AS IngestSpansPerDay,
                   p.api_requests_per_minute AS ApiRequestsPerMinute
            FROM projects p
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE CASE WHEN @snapshot
                  THEN p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
                  ELSE p.updated_at >= @since OR w.updated_at >= @since OR v.updated_at >= @since
                       OR p.deleted_at >= @since OR w.deleted_at >= @since OR v.deleted_at >= @since
                  END
            """, parameters, cancellationToken: cancellationToken));
        // Keys of deleted projects are not sent: the DP drops them with their project.
        var keys = await connection.QueryAsync<(Guid Id, Guid ProjectId, byte[] KeyHash, string[] Scopes, bool Revoked, DateTime? ExpiresAt)>(new CommandDefinition(
            """
            SELECT k.id, k.project_id, k.key_hash, k.scopes, k.revoked_at IS NOT NULL, k.expires_at
            FROM api_keys k
            JOIN projects p ON p.id = k.project_id
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE k.kind = 'project' AND p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
              AND (@snapshot OR k.updated_at >= @since)
            """, parameters, cancellationToken: cancellationToken));

        // Alerts of deleted projects are not sent either: the DP drops them with their project. Where notifications
        // go (addresses, webhook URLs and secrets) stays here; the DP gets what it evaluates.
        var alerts = await connection.QueryAsync<AlertSyncRow>(new CommandDefinition(
            $"""
            SELECT a.id, a.project_id AS ProjectId, a.name, a.alert_type AS AlertType, a.frequency, a.aggregation,
                   a.minimum_sample_size AS MinimumSampleSize, a.event_filters::text AS EventFilters, a.event_metrics::text AS EventMetrics,
                   a.thresholds::text AS Thresholds, a.status, a.muted_until AS MutedUntil, a.recovery_seconds AS RecoverySeconds,
                   a.updated_at AS UpdatedAt, a.deleted_at IS NOT NULL AS Deleted
            FROM alerts a
            JOIN projects p ON p.id = a.project_id
            JOIN workspaces w ON w.id = p.workspace_id
            JOIN virtual_dataplanes v ON v.id = w.virtual_dataplane_id
            WHERE p.deleted_at IS NULL AND w.deleted_at IS NULL AND v.deleted_at IS NULL
              AND CASE WHEN @snapshot THEN a.deleted_at IS NULL ELSE a.updated_at >= @since END
            """, parameters, cancellationToken: cancellationToken));

        var batch = new SyncBatch { FullSnapshot = since is null };
        batch.Projects.AddRange(projects.Select(p => new ProjectRecord
        {
            Id = p.Id.ToString(), OrgId = p.OrgId.ToString(), WorkspaceId = p.WorkspaceId.ToString(),
            Name = p.Name, Description = p.Description, Deleted = p.Deleted,
            IngestSpansPerSecond = p.IngestSpansPerSecond ?? 0, IngestSpansPerDay = p.IngestSpansPerDay ?? 0, ApiRequestsPerMinute = p.ApiRequestsPerMinute ?? 0,
        }));
        batch.ApiKeys.AddRange(keys.Select(k =>
        {
            var record = new ApiKeyRecord
            {
                Id = k.Id.ToString(), ProjectId = k.ProjectId.ToString(), KeyHash = ByteString.CopyFrom(k.KeyHash), Revoked = k.Revoked,
                ExpiresAtUnixMs = k.ExpiresAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : 0,
            };
            record.Scopes.AddRange(k.Scopes);
            return record;
        }));
        batch.Alerts.AddRange(alerts.Select(a => new AlertRecord
        {
            Id = a.Id.ToString(), ProjectId = a.ProjectId.ToString(), Deleted = a.Deleted,
            DefinitionJson = a.Deleted ? ByteString.Empty : ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(a.Definition(), Json)),
        }));
        return (batch, now);
    }

    private sealed record ProjectSyncRow(Guid Id, Guid OrgId, Guid WorkspaceId, string Name, string Description, bool Deleted,
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
