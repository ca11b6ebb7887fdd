using System.Data;
using System.Text.Json;
using Dapper;
using HoneyHive.ControlPlane.Api.Authorization;

namespace HoneyHive.ControlPlane.Api.Audit;

/// <summary>One change: who did what to which object, with its state before and after (null when created or deleted).</summary>
public sealed record AuditEntry(Guid OrgId, Caller Actor, string Action, string TargetType, string TargetId, object? Before, object? After, string? Ip = null);

/// <summary>
/// Appends to <c>audit_log</c> inside the transaction of the change it records, so a change and its entry
/// commit or roll back together. The table refuses updates and deletes (a trigger), so this is its only writer.
/// Entries never hold secrets: callers pass the masked or public view of a key, never its value or hash.
/// </summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task AppendAsync(IDbConnection connection, IDbTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type, target_id, before, after, ip)
            VALUES (@OrgId, @ActorType, @ActorId, @Action, @TargetType, @TargetId, @Before::jsonb, @After::jsonb, @Ip)
            """,
            new
            {
                entry.OrgId,
                entry.Actor.ActorType,
                ActorId = entry.Actor.ActorId.ToString(),
                entry.Action,
                entry.TargetType,
                entry.TargetId,
                Before = entry.Before is null ? null : JsonSerializer.Serialize(entry.Before, Json),
                After = entry.After is null ? null : JsonSerializer.Serialize(entry.After, Json),
                entry.Ip,
            },
            transaction, cancellationToken: cancellationToken));
}
