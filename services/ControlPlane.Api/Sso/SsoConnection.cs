using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HoneyHive.ControlPlane.Api.Sso;

/// <summary>The protocols a connection speaks.</summary>
public static class SsoProtocols
{
    public const string Oidc = "oidc";
    public const string Saml = "saml";

    public static IReadOnlyList<string> All { get; } = [Oidc, Saml];
}

/// <summary>An SSO connection as the API shows it: its configuration, whether a client secret is set, never the secret.</summary>
public sealed record SsoConnectionItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("org_id")] Guid OrgId,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("email_domains")] string[] EmailDomains,
    [property: JsonPropertyName("default_role")] string DefaultRole,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("config")] JsonObject Config,
    [property: JsonPropertyName("has_client_secret")] bool HasClientSecret,
    [property: JsonPropertyName("redirect_uri")] string RedirectUri,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt);

/// <summary>
/// A connection as stored (settable properties: Dapper reads a text[] column as an Array, which no positional
/// constructor takes). <see cref="SecretsSealed"/> is sealed text, opened only by <see cref="SsoConnectionStore"/>.
/// </summary>
public sealed class SsoConnectionRow
{
    public Guid Id { get; init; }
    public Guid OrgId { get; init; }
    public string Protocol { get; init; } = "";
    public string Name { get; init; } = "";
    public string[] EmailDomains { get; init; } = [];
    public string DefaultRole { get; init; } = "";
    public bool Enabled { get; init; }
    public string Config { get; init; } = "{}";
    public string? SecretsSealed { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public const string Columns =
        "id AS Id, org_id AS OrgId, protocol AS Protocol, name AS Name, email_domains AS EmailDomains, default_role AS DefaultRole, enabled AS Enabled, config::text AS Config, secrets_sealed AS SecretsSealed, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public JsonObject ConfigObject => JsonNode.Parse(Config) as JsonObject ?? [];

    public SsoConnectionItem ToItem(SsoOptions options) =>
        new(Id, OrgId, Protocol, Name, EmailDomains, DefaultRole, Enabled, ConfigObject, SecretsSealed is not null,
            Protocol == SsoProtocols.Oidc ? options.OidcRedirectUri : Saml.SamlSignIn.ServiceProviderOf(options, Id).AcsUrl, CreatedAt, UpdatedAt);
}

/// <summary>What an OIDC connection needs to sign someone in.</summary>
/// <param name="Issuer">The provider's issuer; its discovery document is <c>{Issuer}/.well-known/openid-configuration</c> and must name this issuer.</param>
/// <param name="TokenAuthMethod"><c>client_secret_basic</c> or <c>client_secret_post</c>.</param>
public sealed record OidcSettings(string Issuer, string ClientId, string ClientSecret, IReadOnlyList<string> Scopes, string TokenAuthMethod);
