using Dapper;
using HoneyHive.ServiceDefaults;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.OrgSecurity;

/// <summary>
/// An org that requires single sign-on keeps an enabled SSO connection: without one its members (break-glass accounts
/// aside) would have no way in at all. Both sides take the org's row lock, so turning <c>require_sso</c> on and
/// disabling or deleting the last connection at the same moment cannot both succeed.
/// </summary>
public static class SsoRequirement
{
    /// <summary>Before <c>require_sso</c> turns on; the caller holds the org's row lock.</summary>
    public static async Task EnsureConnectionForAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, CancellationToken ct)
    {
        if (await EnabledConnectionsAsync(connection, transaction, orgId, ct) == 0)
            throw ApiRequestException.Conflict("require_sso",
                $"An organization can require single sign-on only once it has an enabled SSO connection: create one with POST /v1/orgs/{orgId}/sso_connections and sign in through it first.");
    }

    /// <summary>After a connection of the org was disabled or deleted in <paramref name="transaction"/>: refused if it was the last one of an org that requires SSO.</summary>
    public static async Task EnsureStillMetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, string? field, CancellationToken ct)
    {
        var requireSso = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT require_sso FROM orgs WHERE id = @orgId FOR UPDATE", new { orgId }, transaction, cancellationToken: ct));
        if (requireSso && await EnabledConnectionsAsync(connection, transaction, orgId, ct) == 0)
            throw ApiRequestException.Conflict(field,
                $"The organization requires single sign-on and this is its last enabled SSO connection: turn require_sso off first (PUT /v1/orgs/{orgId}/security) or enable another connection.");
    }

    private static Task<long> EnabledConnectionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid orgId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM sso_connections WHERE org_id = @orgId AND enabled AND deleted_at IS NULL", new { orgId }, transaction, cancellationToken: ct));
}
