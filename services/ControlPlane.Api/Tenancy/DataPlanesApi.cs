using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>
/// The physical data planes (clusters) serving an org, with the latest health report each sent over the controllers'
/// stream. A data plane belongs to the deployment, not to an org: several orgs' virtual data planes may run on one
/// (virtual_dataplanes.cluster_id = the data plane's id). An org sees the data planes its own live virtual data planes
/// run on, and only its admins and owners (dataplanes:manage): the figures are the cluster's, shared with the other orgs
/// on it (their traffic is in its ingestion rate), so they are operators' information, not every member's.
/// </summary>
public static class DataPlanesApi
{
    public static void MapDataPlanesApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/orgs/{org_id}/data_planes", ListAsync);
    }

    private static async Task<Ok<Envelope<DataPlaneItem[]>>> ListAsync(
        [FromRoute(Name = "org_id")] string orgIdText, ClaimsPrincipal principal, ControlPlaneAccess access,
        [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, CancellationToken cancellationToken)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        await access.RequireAsync(principal, Permissions.DataplanesManage, await access.Tree.OrgAsync(orgId, cancellationToken), "Organization", cancellationToken);
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT d.id, d.public_key AS PublicKey, d.registered_at AS RegisteredAt, d.last_seen_at AS LastSeenAt,
                   d.identity_issued_at AS IdentityIssuedAt, d.identity_expires_at AS IdentityExpiresAt, d.sync_version AS SyncVersion,
                   d.health::text AS Health, d.health_reported_at AS HealthReportedAt
            FROM data_planes d
            WHERE EXISTS (SELECT 1 FROM virtual_dataplanes v WHERE v.cluster_id = d.id AND v.org_id = @orgId AND v.deleted_at IS NULL)
            ORDER BY d.id
            """, new { orgId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(Envelope.Of<DataPlaneItem[]>([.. rows.Select(r => r.Item())]));
    }

    private sealed class Row
    {
        public string Id { get; init; } = "";
        public byte[] PublicKey { get; init; } = [];
        public DateTime RegisteredAt { get; init; }
        public DateTime LastSeenAt { get; init; }
        public DateTime? IdentityIssuedAt { get; init; }
        public DateTime? IdentityExpiresAt { get; init; }
        public long? SyncVersion { get; init; }
        public string? Health { get; init; }
        public DateTime? HealthReportedAt { get; init; }

        public DataPlaneItem Item() => new(
            Id, DataPlaneIdentityDocument.KeyId(PublicKey), Utc(RegisteredAt), Utc(LastSeenAt), IdentityIssuedAt is { } i ? Utc(i) : null,
            IdentityExpiresAt is { } e ? Utc(e) : null, SyncVersion, Health is null ? null : JsonDocument.Parse(Health).RootElement.Clone(),
            HealthReportedAt is { } h ? Utc(h) : null);

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
    }
}

/// <param name="PublicKeyId">Base64url SHA-256 of the data plane's pinned public key (as in its identity document).</param>
/// <param name="Health">The latest report: status, checks, ingestion_events_per_second, writer_lag_seconds, writer_backlog, reported_at.</param>
public sealed record DataPlaneItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("public_key_id")] string PublicKeyId,
    [property: JsonPropertyName("registered_at")] DateTimeOffset RegisteredAt,
    [property: JsonPropertyName("last_seen_at")] DateTimeOffset LastSeenAt,
    [property: JsonPropertyName("identity_issued_at")] DateTimeOffset? IdentityIssuedAt,
    [property: JsonPropertyName("identity_expires_at")] DateTimeOffset? IdentityExpiresAt,
    [property: JsonPropertyName("sync_version")] long? SyncVersion,
    [property: JsonPropertyName("health")] JsonElement? Health,
    [property: JsonPropertyName("health_reported_at")] DateTimeOffset? HealthReportedAt);
