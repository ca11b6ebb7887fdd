using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Security;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Sso;

/// <summary>Reading connections for sign-in: a live one by id, the one routing an email domain, and its sealed secrets.</summary>
public sealed class SsoConnectionStore(
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring)
{
    /// <summary>An enabled, not deleted connection, or null.</summary>
    public async Task<SsoConnectionRow?> FindEnabledAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SsoConnectionRow>(new CommandDefinition(
            $"SELECT {SsoConnectionRow.Columns} FROM sso_connections WHERE id = @id AND enabled AND deleted_at IS NULL",
            new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The enabled connection that routes <paramref name="domain"/> (lowercase), or null.</summary>
    public async Task<SsoConnectionRow?> FindByDomainAsync(string domain, CancellationToken cancellationToken)
    {
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SsoConnectionRow>(new CommandDefinition(
            $"""
            SELECT {SsoConnectionRow.Columns} FROM sso_connections
            WHERE id = (SELECT connection_id FROM sso_email_domains WHERE domain = @domain) AND enabled AND deleted_at IS NULL
            """, new { domain }, cancellationToken: cancellationToken));
    }

    /// <summary>The settings of an OIDC connection, its client secret opened.</summary>
    public OidcSettings OidcSettingsOf(SsoConnectionRow row)
    {
        var config = row.ConfigObject;
        var secrets = row.SecretsSealed is null ? [] : OpenSecrets(ring, row.Id, row.SecretsSealed);
        return new OidcSettings(
            config["issuer"]?.GetValue<string>() ?? "",
            config["client_id"]?.GetValue<string>() ?? "",
            secrets["client_secret"]?.GetValue<string>() ?? "",
            config["scopes"] is JsonArray scopes ? [.. scopes.Select(s => s!.GetValue<string>())] : ["openid", "email", "profile"],
            config["token_endpoint_auth_method"]?.GetValue<string>() ?? "client_secret_basic");
    }

    /// <summary>Associated data binding sealed secrets to their connection: a sealed value copied to another row does not open.</summary>
    private static string AssociatedData(Guid id) => $"sso-connection:{id}";

    public static string SealSecrets(MasterKeyRing ring, Guid id, JsonObject secrets) => SealedText.Seal(ring, secrets.ToJsonString(), AssociatedData(id));

    public static JsonObject OpenSecrets(MasterKeyRing ring, Guid id, string sealedText) =>
        JsonNode.Parse(SealedText.Open(ring, sealedText, AssociatedData(id))) as JsonObject ?? throw new JsonException("The sealed secrets are not a JSON object.");
}
