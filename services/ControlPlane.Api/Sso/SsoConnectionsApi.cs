using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.OrgSecurity;
using HoneyHive.ControlPlane.Api.Roles;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Sso;

/// <summary>
/// An org's SSO connections (<c>/v1/orgs/{org_id}/sso_connections</c>), shared by OIDC and SAML. Reading and changing
/// them needs sso:manage (a connection decides who may join the org, and with which role). The client secret is
/// write-only, stored sealed under the CP master key; the issuer is checked by the SSRF guard when saved (and every
/// call to the provider again at connection time). An email domain belongs to at most one enabled connection across
/// all orgs (409 naming it otherwise), so the sign-in page's routing is unambiguous and no org can route another's
/// users to its own provider. Every change is audited, without the secret.
/// </summary>
public static partial class SsoConnectionsApi
{
    public const string TargetType = "sso_connection";
    private const string What = "SSO connection";
    private const int MaxDomains = 20;
    private const int MaxSecretLength = 512;

    private static readonly string[] CreateFields = ["protocol", "name", "email_domains", "default_role", "enabled", "config", "client_secret"];
    private static readonly string[] UpdateFields = ["name", "email_domains", "default_role", "enabled", "config", "client_secret"];
    private static readonly string[] OidcConfigFields = ["issuer", "client_id", "scopes", "token_endpoint_auth_method"];
    private static readonly string[] TokenAuthMethods = ["client_secret_basic", "client_secret_post"];

    // A DNS name of at least two labels, lowercase letters, digits and hyphens (IDNs in their xn-- form).
    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    public static void MapSsoConnectionsApi(this IEndpointRouteBuilder api)
    {
        const string Collection = "/v1/orgs/{org_id}/sso_connections";
        const string Item = Collection + "/{connection_id}";
        api.MapPost(Collection, CreateAsync).WithTags("SSO");
        api.MapGet(Collection, ListAsync).WithTags("SSO");
        api.MapGet(Item, GetAsync).WithTags("SSO");
        api.MapPut(Item, UpdateAsync).WithTags("SSO");
        api.MapDelete(Item, DeleteAsync).WithTags("SSO");
    }

    private static async Task<Created<Envelope<SsoConnectionItem>>> CreateAsync(
        string org_id, HttpRequest request, ClaimsPrincipal principal, SsoConnectionDeps deps, CancellationToken ct)
    {
        var (caller, org) = await RequireAsync(principal, org_id, deps, ct);
        var body = await RequestBody.ReadAsync(request, CreateFields, ct);
        var protocol = RequestBody.RequiredString(body, "protocol", 16);
        if (!SsoProtocols.All.Contains(protocol)) throw ApiRequestException.BadRequest("protocol", $"protocol must be one of {string.Join(", ", SsoProtocols.All)}.");
        var name = RequestBody.RequiredString(body, "name", 200);
        var domains = DomainsOf(body) ?? [];
        var enabled = BoolOf(body, "enabled") ?? true;
        var config = await ConfigAsync(protocol, body, null, deps, ct) ?? throw ApiRequestException.BadRequest("config", "config is required.");
        // A SAML connection has no secret: its IdP's certificate (in config) is public.
        var secret = ClientSecretOf(protocol, body);
        if (secret is null && protocol == SsoProtocols.Oidc)
            throw ApiRequestException.BadRequest("client_secret", "client_secret is required: the secret the provider issued for this client.");
        var id = Guid.CreateVersion7();

        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var role = await DefaultRoleAsync(connection, transaction, body, caller, org, null, ct) ?? throw ApiRequestException.BadRequest("default_role", "default_role is required.");
        var row = await connection.QuerySingleAsync<SsoConnectionRow>(new CommandDefinition(
            $"""
            INSERT INTO sso_connections (id, org_id, protocol, name, email_domains, default_role, enabled, config, secrets_sealed)
            VALUES (@id, @orgId, @protocol, @name, @domains, @role, @enabled, @config::jsonb, @secrets)
            RETURNING {SsoConnectionRow.Columns}
            """, new
            {
                id, orgId = org.OrgId, protocol, name, domains, role, enabled, config = config.ToJsonString(),
                secrets = secret is null ? null : SsoConnectionStore.SealSecrets(deps.Ring, id, new JsonObject { ["client_secret"] = secret }),
            }, transaction, cancellationToken: ct));
        await ClaimDomainsAsync(connection, transaction, row, ct);
        var item = row.ToItem(deps.Options);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller, "sso_connection.created", TargetType, id.ToString(), null, item), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/v1/orgs/{org.OrgId}/sso_connections/{id}", Envelope.Of(item));
    }

    private static async Task<Ok<Envelope<SsoConnectionItem[]>>> ListAsync(string org_id, ClaimsPrincipal principal, SsoConnectionDeps deps, CancellationToken ct)
    {
        var (_, org) = await RequireAsync(principal, org_id, deps, ct);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<SsoConnectionRow>(new CommandDefinition(
            $"SELECT {SsoConnectionRow.Columns} FROM sso_connections WHERE org_id = @orgId AND deleted_at IS NULL ORDER BY created_at, id",
            new { orgId = org.OrgId }, cancellationToken: ct));
        return TypedResults.Ok(Envelope.Of<SsoConnectionItem[]>([.. rows.Select(r => r.ToItem(deps.Options))]));
    }

    private static async Task<Ok<Envelope<SsoConnectionItem>>> GetAsync(
        string org_id, string connection_id, ClaimsPrincipal principal, SsoConnectionDeps deps, CancellationToken ct)
    {
        var (_, org) = await RequireAsync(principal, org_id, deps, ct);
        var id = RequestBody.RouteId(connection_id, What);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        return TypedResults.Ok(Envelope.Of((await FindAsync(connection, null, org.OrgId, id, ct)).ToItem(deps.Options)));
    }

    private static async Task<Ok<Envelope<SsoConnectionItem>>> UpdateAsync(
        string org_id, string connection_id, HttpRequest request, ClaimsPrincipal principal, SsoConnectionDeps deps, CancellationToken ct)
    {
        var (caller, org) = await RequireAsync(principal, org_id, deps, ct);
        var id = RequestBody.RouteId(connection_id, What);
        var body = await RequestBody.ReadAsync(request, UpdateFields, ct);
        var name = RequestBody.String(body, "name", 200);
        if (name is { Length: 0 }) throw ApiRequestException.BadRequest("name", "name must not be empty.");
        var domains = DomainsOf(body);
        var enabled = BoolOf(body, "enabled");

        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var before = await FindAsync(connection, transaction, org.OrgId, id, ct, forUpdate: true);
        var config = await ConfigAsync(before.Protocol, body, before.ConfigObject, deps, ct);
        var secret = ClientSecretOf(before.Protocol, body);
        var role = await DefaultRoleAsync(connection, transaction, body, caller, org, before.DefaultRole, ct);
        var after = await connection.QuerySingleAsync<SsoConnectionRow>(new CommandDefinition(
            $"""
            UPDATE sso_connections
            SET name = COALESCE(@name, name), email_domains = COALESCE(@domains, email_domains), default_role = COALESCE(@role, default_role),
                enabled = COALESCE(@enabled, enabled), config = COALESCE(@config::jsonb, config),
                secrets_sealed = COALESCE(@secrets, secrets_sealed), updated_at = now()
            WHERE id = @id RETURNING {SsoConnectionRow.Columns}
            """, new
            {
                id, name, domains = domains?.ToArray(), role, enabled, config = config?.ToJsonString(),
                secrets = secret is null ? null : SsoConnectionStore.SealSecrets(deps.Ring, id, new JsonObject { ["client_secret"] = secret }),
            }, transaction, cancellationToken: ct));
        await ClaimDomainsAsync(connection, transaction, after, ct);
        if (before.Enabled && !after.Enabled) await SsoRequirement.EnsureStillMetAsync(connection, transaction, org.OrgId, "enabled", ct);
        // A new secret is audited as the fact that it changed; the value stays out of the log.
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller,
            secret is null ? "sso_connection.updated" : "sso_connection.updated.secret_rotated", TargetType, id.ToString(), before.ToItem(deps.Options), after.ToItem(deps.Options)), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(Envelope.Of(after.ToItem(deps.Options)));
    }

    private static async Task<Ok<Envelope<SsoConnectionItem>>> DeleteAsync(
        string org_id, string connection_id, ClaimsPrincipal principal, SsoConnectionDeps deps, CancellationToken ct)
    {
        var (caller, org) = await RequireAsync(principal, org_id, deps, ct);
        var id = RequestBody.RouteId(connection_id, What);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var before = await FindAsync(connection, transaction, org.OrgId, id, ct, forUpdate: true);
        // The secret goes with the connection; its domains are free for another connection at once.
        var after = await connection.QuerySingleAsync<SsoConnectionRow>(new CommandDefinition(
            $"UPDATE sso_connections SET deleted_at = now(), updated_at = now(), enabled = false, secrets_sealed = NULL WHERE id = @id RETURNING {SsoConnectionRow.Columns}",
            new { id }, transaction, cancellationToken: ct));
        await ClaimDomainsAsync(connection, transaction, after, ct);
        if (before.Enabled) await SsoRequirement.EnsureStillMetAsync(connection, transaction, org.OrgId, null, ct);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(org.OrgId, caller, "sso_connection.deleted", TargetType, id.ToString(), before.ToItem(deps.Options), null), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(Envelope.Of(after.ToItem(deps.Options)));
    }

    private static async Task<(Caller Caller, TenancyPath Org)> RequireAsync(ClaimsPrincipal principal, string orgIdText, SsoConnectionDeps deps, CancellationToken ct)
    {
        var orgId = RequestBody.RouteId(orgIdText, "Organization");
        var path = await deps.Access.Tree.OrgAsync(orgId, ct);
        var caller = await deps.Access.RequireAsync(principal, Permissions.SsoManage, path, "Organization", ct);
        return (caller, path!);
    }

    /// <summary>
    /// Makes <c>sso_email_domains</c> hold exactly the domains of <paramref name="row"/> when it is enabled (none when
    /// disabled or deleted). A domain another enabled connection holds is a 409 naming it.
    /// </summary>
    private static async Task ClaimDomainsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SsoConnectionRow row, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sso_email_domains WHERE connection_id = @id", new { id = row.Id }, transaction, cancellationToken: ct));
        if (!row.Enabled || row.EmailDomains.Length == 0) return;
        var taken = await connection.QueryAsync<string>(new CommandDefinition(
            """
            INSERT INTO sso_email_domains (domain, connection_id) SELECT unnest(@domains), @id
            ON CONFLICT (domain) DO NOTHING RETURNING domain
            """, new { domains = row.EmailDomains, id = row.Id }, transaction, cancellationToken: ct));
        var claimed = taken.ToHashSet(StringComparer.Ordinal);
        var index = Array.FindIndex(row.EmailDomains, d => !claimed.Contains(d));
        if (index >= 0)
            throw new ApiRequestException(StatusCodes.Status409Conflict, $"email_domains[{index}]",
                $"email_domains[{index}] ({row.EmailDomains[index]}) is already routed by another enabled SSO connection; a domain signs in through one connection only.");
    }

    private static List<string>? DomainsOf(JsonObject body)
    {
        var domains = RequestBody.StringArray(body, "email_domains", MaxDomains, 253);
        if (domains is null) return null;
        for (var i = 0; i < domains.Count; i++)
        {
            var domain = domains[i].Trim().TrimStart('@').ToLowerInvariant();
            if (!DomainPattern().IsMatch(domain))
                throw ApiRequestException.BadRequest($"email_domains[{i}]", $"email_domains[{i}] must be a domain name such as example.com (the part of an email after the @).");
            domains[i] = domain;
        }
        return [.. domains.Distinct(StringComparer.Ordinal)];
    }

    private static bool? BoolOf(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        return node.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
            ? node.GetValue<bool>()
            : throw ApiRequestException.BadRequest(name, $"{name} must be true or false.");
    }

    /// <summary>
    /// The role new users get in the org: a role of this org (built-in or custom) that the caller could grant
    /// themselves, and never one carrying org:manage (a provider must not mint owners). Null when the body leaves it.
    /// </summary>
    private static async Task<string?> DefaultRoleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, JsonObject body, Caller caller, TenancyPath org, string? current, CancellationToken ct)
    {
        var role = RequestBody.String(body, "default_role", 100);
        if (role is null) return null;
        if (role.Length == 0) throw ApiRequestException.BadRequest("default_role", "default_role must not be empty.");
        if (role == current) return role;
        var permissions = await OrgRoles.PermissionsOfAsync(connection, transaction, org.OrgId, role, "default_role", ct);
        if (permissions.Contains(Permissions.OrgManage))
            throw ApiRequestException.BadRequest("default_role", $"default_role must not carry '{Permissions.OrgManage}' (such as owner): owners are made by owners, not by an identity provider.");
        OrgRoles.RequireHeldByCaller(caller, org, permissions);
        return role;
    }

    /// <summary>The protocol's settings from <c>config</c>, merged over <paramref name="current"/>; null when the body has no config.</summary>
    private static async Task<JsonObject?> ConfigAsync(string protocol, JsonObject body, JsonObject? current, SsoConnectionDeps deps, CancellationToken ct)
    {
        if (body["config"] is null) return null;
        if (body["config"] is not JsonObject given) throw ApiRequestException.BadRequest("config", "config must be a JSON object.");
        return protocol switch
        {
            SsoProtocols.Oidc => await OidcConfigAsync(given, current, deps, ct),
            SsoProtocols.Saml => Saml.SamlConnectionConfig.Validate(given, current, deps.Options, TimeProvider.System),
            _ => throw ApiRequestException.BadRequest("protocol", $"protocol must be one of {string.Join(", ", SsoProtocols.All)}."),
        };
    }

    private static async Task<JsonObject> OidcConfigAsync(JsonObject given, JsonObject? current, SsoConnectionDeps deps, CancellationToken ct)
    {
        foreach (var (key, _) in given)
        {
            if (key == "client_secret") throw ApiRequestException.BadRequest("config.client_secret", "The client secret is write-only: send it as client_secret beside config, not inside it.");
            if (!OidcConfigFields.Contains(key)) throw ApiRequestException.BadRequest($"config.{key}", $"config.{key} is not an OIDC setting; config takes {string.Join(", ", OidcConfigFields)}.");
        }
        var merged = current?.DeepClone() as JsonObject ?? [];
        foreach (var (key, value) in given) merged[key] = value?.DeepClone();

        var issuer = ConfigString(merged, "issuer", 2048) ?? throw ApiRequestException.BadRequest("config.issuer", "config.issuer is required: the provider's issuer URL (its discovery document is at {issuer}/.well-known/openid-configuration).");
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUrl) || issuerUrl.Scheme is not ("http" or "https") || issuerUrl.Query.Length > 0 || issuerUrl.Fragment.Length > 0)
            throw ApiRequestException.BadRequest("config.issuer", "config.issuer must be an absolute https URL without query or fragment.");
        if (deps.Options.RequireHttps && issuerUrl.Scheme != "https")
            throw ApiRequestException.BadRequest("config.issuer", "config.issuer must use https.");
        try
        {
            await deps.Guard.CheckUrlAsync(issuerUrl, ct);
        }
        catch (OutboundAddressRefusedException refused)
        {
            throw ApiRequestException.BadRequest("config.issuer", $"config.issuer is refused: {refused.Reason}. An operator can allow private hosts with {OutboundGuardOptions.AllowedPrivateHostsKey}.");
        }
        if (ConfigString(merged, "client_id", 256) is null) throw ApiRequestException.BadRequest("config.client_id", "config.client_id is required: the client id the provider issued.");

        if (merged["scopes"] is { } scopesNode)
        {
            if (scopesNode is not JsonArray scopes || scopes.Count is 0 or > 20)
                throw ApiRequestException.BadRequest("config.scopes", "config.scopes must be an array of 1 to 20 scope names.");
            for (var i = 0; i < scopes.Count; i++)
                if (scopes[i] is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String || v.GetValue<string>() is not { Length: > 0 and <= 100 } s || s.Any(c => c <= ' ' || c == '"' || c == '\\'))
                    throw ApiRequestException.BadRequest($"config.scopes[{i}]", $"config.scopes[{i}] must be a scope name (no spaces).");
            if (!scopes.Any(s => s!.GetValue<string>() == "openid")) throw ApiRequestException.BadRequest("config.scopes", "config.scopes must include openid.");
            if (!scopes.Any(s => s!.GetValue<string>() == "email")) throw ApiRequestException.BadRequest("config.scopes", "config.scopes must include email: sign-in needs the user's verified email.");
        }
        else merged["scopes"] = new JsonArray("openid", "email", "profile");

        var method = ConfigString(merged, "token_endpoint_auth_method", 32) ?? "client_secret_basic";
        if (!TokenAuthMethods.Contains(method))
            throw ApiRequestException.BadRequest("config.token_endpoint_auth_method", $"config.token_endpoint_auth_method must be one of {string.Join(", ", TokenAuthMethods)}.");
        merged["token_endpoint_auth_method"] = method;
        merged["issuer"] = issuer;
        return merged;
    }

    private static string? ConfigString(JsonObject config, string name, int maxLength)
    {
        var node = config[name];
        if (node is null) return null;
        if (node.GetValueKind() != System.Text.Json.JsonValueKind.String || node.GetValue<string>() is not { Length: > 0 } value)
            throw ApiRequestException.BadRequest($"config.{name}", $"config.{name} must be a non-empty string.");
        if (value.Length > maxLength) throw ApiRequestException.BadRequest($"config.{name}", $"config.{name} must be at most {maxLength.ToString(CultureInfo.InvariantCulture)} characters.");
        return value;
    }

    private static string? ClientSecretOf(string protocol, JsonObject body)
    {
        var secret = RequestBody.String(body, "client_secret", MaxSecretLength);
        if (secret is null) return null;
        if (protocol != SsoProtocols.Oidc) throw ApiRequestException.BadRequest("client_secret", "Only an oidc connection has a client secret.");
        if (secret.Length < 8) throw ApiRequestException.BadRequest("client_secret", "client_secret must be at least 8 characters.");
        return secret;
    }

    private static async Task<SsoConnectionRow> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid orgId, Guid id, CancellationToken ct, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<SsoConnectionRow>(new CommandDefinition(
            $"SELECT {SsoConnectionRow.Columns} FROM sso_connections WHERE id = @id AND org_id = @orgId AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id, orgId }, transaction, cancellationToken: ct))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");
}

/// <summary>What every connection handler needs, resolved once per request.</summary>
public sealed class SsoConnectionDeps(
    ControlPlaneAccess access,
    OutboundGuard guard,
    IOptions<SsoOptions> options,
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring)
{
    public ControlPlaneAccess Access => access;
    public OutboundGuard Guard => guard;
    public SsoOptions Options => options.Value;
    public NpgsqlDataSource Cpdb => cpdb;
    public MasterKeyRing Ring => ring;
}
