using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dapper;
using HoneyHive.ControlPlane.Api.Audit;
using HoneyHive.ControlPlane.Api.Authorization;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Notifications;

/// <summary>A notification channel as the API shows it: the URL only as its scheme and host (a Slack hook's path is its key), the secret never.</summary>
public sealed record NotificationChannelItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("org_id")] Guid OrgId,
    [property: JsonPropertyName("scope_type")] string ScopeType,
    [property: JsonPropertyName("scope_id")] Guid ScopeId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("emails")] string[]? Emails,
    [property: JsonPropertyName("stages")] string[] Stages,
    [property: JsonPropertyName("has_secret")] bool HasSecret,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt);

/// <summary>The answer to a create: the channel, and for a webhook whose secret the server generated, that secret (shown this once).</summary>
public sealed record CreatedNotificationChannel(
    [property: JsonPropertyName("channel")] NotificationChannelItem Channel,
    [property: JsonPropertyName("secret")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret);

/// <summary>
/// Notification channels of an org, a workspace or a project: where alert notifications of every project below go, besides
/// each alert's own destinations (the notification service routes by scope and stage). Changing them needs
/// notifications:manage on the scope, reading them alerts:read. A Slack or webhook URL is checked by the SSRF guard when
/// saved (and again by the notification service at every connection and redirect). A webhook's signing secret is given
/// (write-only) or generated and returned once by the create; it is stored sealed under the CP's master key and never
/// returned again. Every change is in the audit log, without the URL's path or the secret.
/// </summary>
public static class NotificationChannelsApi
{
    public const string TargetType = "notification_channel";
    private const string What = "Notification channel";
    private const int MaxEmails = 50;
    private const int SecretBytes = 32;
    private static readonly string[] Kinds = ["EMAIL", "SLACK", "WEBHOOK"];
    private static readonly string[] Stages = ["WARNING", "CRITICAL", "RESOLUTION"];
    private static readonly string[] CreateFields = ["name", "kind", "url", "emails", "stages", "secret"];
    private static readonly string[] UpdateFields = ["name", "url", "emails", "stages", "secret"];

    private sealed record Scope(string Type, string Plural, string Parameter, string What);

    private static readonly Scope[] Scopes =
    [
        new("org", "orgs", "org_id", "Organization"),
        new("workspace", "workspaces", "workspace_id", "Workspace"),
        new("project", "projects", "project_id", "Project"),
    ];

    public static void MapNotificationChannelsApi(this IEndpointRouteBuilder api)
    {
        foreach (var scope in Scopes)
        {
            var collection = $"/v1/{scope.Plural}/{{{scope.Parameter}}}/notification_channels";
            var item = collection + "/{channel_id}";
            api.MapPost(collection, (HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct) =>
                CreateAsync(scope, Route(request, scope.Parameter), request, principal, deps, ct));
            api.MapGet(collection, (HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct) =>
                ListAsync(scope, Route(request, scope.Parameter), principal, deps, ct));
            api.MapGet(item, (HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct) =>
                GetAsync(scope, Route(request, scope.Parameter), Route(request, "channel_id"), principal, deps, ct));
            api.MapPut(item, (HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct) =>
                UpdateAsync(scope, Route(request, scope.Parameter), Route(request, "channel_id"), request, principal, deps, ct));
            api.MapDelete(item, (HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct) =>
                DeleteAsync(scope, Route(request, scope.Parameter), Route(request, "channel_id"), principal, deps, ct));
        }
    }

    private static string Route(HttpRequest request, string name) => request.RouteValues[name]?.ToString() ?? "";

    private static async Task<TenancyPath?> PathAsync(Scope scope, Guid id, TenancyTree tree, CancellationToken ct) => scope.Type switch
    {
        "org" => await tree.OrgAsync(id, ct),
        "workspace" => await tree.WorkspaceAsync(id, ct),
        _ => await tree.ProjectAsync(id, ct),
    };

    private static async Task<Created<Envelope<CreatedNotificationChannel>>> CreateAsync(
        Scope scope, string scopeIdText, HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct)
    {
        var scopeId = RequestBody.RouteId(scopeIdText, scope.What);
        var path = await PathAsync(scope, scopeId, deps.Access.Tree, ct);
        var caller = await deps.Access.RequireAsync(principal, Permissions.NotificationsManage, path, scope.What, ct);
        var body = await RequestBody.ReadAsync(request, CreateFields, ct);
        var name = RequestBody.RequiredString(body, "name", 200);
        var kind = RequestBody.RequiredString(body, "kind", 16);
        if (!Kinds.Contains(kind)) throw ApiRequestException.BadRequest("kind", $"kind must be one of {string.Join(", ", Kinds)}.");
        var target = await TargetAsync(kind, body, null, deps.Guard, ct);
        var stages = StagesOf(body)?.ToArray() ?? Stages;
        var given = SecretOf(kind, body);
        // A webhook is always signed: without a given secret the server makes one and shows it this once.
        var generated = kind == "WEBHOOK" && given is null ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes)) : null;
        var secret = given ?? generated;
        var id = Guid.CreateVersion7();

        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            $"""
            INSERT INTO notification_channels (id, org_id, scope_type, scope_id, name, kind, target, secret_sealed, stages)
            VALUES (@id, @orgId, @scopeType, @scopeId, @name, @kind, @target::jsonb, @secretSealed, @stages)
            RETURNING {Columns}
            """, new
            {
                id, orgId = path!.OrgId, scopeType = scope.Type, scopeId, name, kind, target = target.ToJsonString(),
                secretSealed = secret is null ? null : Seal(deps.Ring, id, secret), stages,
            }, transaction, cancellationToken: ct));
        var item = row.ToItem();
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path.OrgId, caller, "notification_channel.created", TargetType, id.ToString(), null, item), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/v1/{scope.Plural}/{scopeId}/notification_channels/{id}", Envelope.Of(new CreatedNotificationChannel(item, generated)));
    }

    private static async Task<Ok<Envelope<NotificationChannelItem[]>>> ListAsync(
        Scope scope, string scopeIdText, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct)
    {
        var scopeId = RequestBody.RouteId(scopeIdText, scope.What);
        await deps.Access.RequireAsync(principal, Permissions.AlertsRead, await PathAsync(scope, scopeId, deps.Access.Tree, ct), scope.What, ct);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM notification_channels WHERE scope_type = @type AND scope_id = @scopeId AND deleted_at IS NULL ORDER BY created_at, id",
            new { type = scope.Type, scopeId }, cancellationToken: ct));
        return TypedResults.Ok(Envelope.Of<NotificationChannelItem[]>([.. rows.Select(r => r.ToItem())]));
    }

    private static async Task<Ok<Envelope<NotificationChannelItem>>> GetAsync(
        Scope scope, string scopeIdText, string idText, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct)
    {
        var scopeId = RequestBody.RouteId(scopeIdText, scope.What);
        var id = RequestBody.RouteId(idText, What);
        await deps.Access.RequireAsync(principal, Permissions.AlertsRead, await PathAsync(scope, scopeId, deps.Access.Tree, ct), scope.What, ct);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        return TypedResults.Ok(Envelope.Of((await FindAsync(connection, null, scope, scopeId, id, ct)).ToItem()));
    }

    private static async Task<Ok<Envelope<NotificationChannelItem>>> UpdateAsync(
        Scope scope, string scopeIdText, string idText, HttpRequest request, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct)
    {
        var scopeId = RequestBody.RouteId(scopeIdText, scope.What);
        var id = RequestBody.RouteId(idText, What);
        var path = await PathAsync(scope, scopeId, deps.Access.Tree, ct);
        var caller = await deps.Access.RequireAsync(principal, Permissions.NotificationsManage, path, scope.What, ct);
        var body = await RequestBody.ReadAsync(request, UpdateFields, ct);
        var name = RequestBody.String(body, "name", 200);
        if (name is { Length: 0 }) throw ApiRequestException.BadRequest("name", "name must not be empty.");
        var stages = StagesOf(body);

        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var before = await FindAsync(connection, transaction, scope, scopeId, id, ct, forUpdate: true);
        var target = RequestBody.Has(body, "url") || RequestBody.Has(body, "emails")
            ? await TargetAsync(before.Kind, body, JsonNode.Parse(before.Target) as JsonObject, deps.Guard, ct)
            : null;
        var secret = SecretOf(before.Kind, body);
        var after = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            $"""
            UPDATE notification_channels
            SET name = COALESCE(@name, name), target = COALESCE(@target::jsonb, target), stages = COALESCE(@stages, stages),
                secret_sealed = COALESCE(@secretSealed, secret_sealed), updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, new { id, name, target = target?.ToJsonString(), stages = stages?.ToArray(), secretSealed = secret is null ? null : Seal(deps.Ring, id, secret) },
            transaction, cancellationToken: ct));
        // A new secret is audited as the fact that it changed; the value stays out of the log.
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, secret is null ? "notification_channel.updated" : "notification_channel.updated.secret_rotated",
            TargetType, id.ToString(), before.ToItem(), after.ToItem()), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(Envelope.Of(after.ToItem()));
    }

    private static async Task<Ok<Envelope<NotificationChannelItem>>> DeleteAsync(
        Scope scope, string scopeIdText, string idText, ClaimsPrincipal principal, ChannelDeps deps, CancellationToken ct)
    {
        var scopeId = RequestBody.RouteId(scopeIdText, scope.What);
        var id = RequestBody.RouteId(idText, What);
        var path = await PathAsync(scope, scopeId, deps.Access.Tree, ct);
        var caller = await deps.Access.RequireAsync(principal, Permissions.NotificationsManage, path, scope.What, ct);
        await using var connection = await deps.Cpdb.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var before = await FindAsync(connection, transaction, scope, scopeId, id, ct, forUpdate: true);
        var after = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            $"UPDATE notification_channels SET deleted_at = now(), updated_at = now(), secret_sealed = NULL WHERE id = @id RETURNING {Columns}",
            new { id }, transaction, cancellationToken: ct));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(path!.OrgId, caller, "notification_channel.deleted", TargetType, id.ToString(), before.ToItem(), null), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(Envelope.Of(after.ToItem()));
    }

    /// <summary>The channel's target: <c>{url}</c> checked by the SSRF guard (400 naming <c>url</c> and why), or <c>{emails}</c>.</summary>
    private static async Task<JsonObject> TargetAsync(string kind, JsonObject body, JsonObject? current, OutboundGuard guard, CancellationToken ct)
    {
        if (kind == "EMAIL")
        {
            if (RequestBody.Has(body, "url")) throw ApiRequestException.BadRequest("url", "An EMAIL channel takes emails, not url.");
            var emails = RequestBody.StringArray(body, "emails", MaxEmails, 254);
            if (emails is null or { Count: 0 }) throw ApiRequestException.BadRequest("emails", "emails is required: at least one address.");
            for (var i = 0; i < emails.Count; i++)
                if (!System.Net.Mail.MailAddress.TryCreate(emails[i], out var address) || address.Address != emails[i])
                    throw ApiRequestException.BadRequest($"emails[{i}]", $"emails[{i}] is not a mail address.");
            return new JsonObject { ["emails"] = new JsonArray([.. emails.Distinct(StringComparer.OrdinalIgnoreCase).Select(e => (JsonNode)e)]) };
        }
        if (RequestBody.Has(body, "emails")) throw ApiRequestException.BadRequest("emails", $"A {kind} channel takes url, not emails.");
        var url = RequestBody.String(body, "url", 2048) ?? current?["url"]?.GetValue<string>();
        if (string.IsNullOrEmpty(url)) throw ApiRequestException.BadRequest("url", "url is required.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw ApiRequestException.BadRequest("url", "url must be an absolute http or https URL.");
        try
        {
            await guard.CheckUrlAsync(uri, ct);
        }
        catch (OutboundAddressRefusedException refused)
        {
            throw ApiRequestException.BadRequest("url", $"url is refused: {refused.Reason}. An operator can allow private hosts with {OutboundGuardOptions.AllowedPrivateHostsKey}.");
        }
        return new JsonObject { ["url"] = url };
    }

    private static List<string>? StagesOf(JsonObject body)
    {
        var stages = RequestBody.StringArray(body, "stages", Stages.Length, 16);
        if (stages is null) return null;
        if (stages.Count == 0) throw ApiRequestException.BadRequest("stages", "stages must name at least one stage.");
        for (var i = 0; i < stages.Count; i++)
            if (!Stages.Contains(stages[i])) throw ApiRequestException.BadRequest($"stages[{i}]", $"stages[{i}] must be one of {string.Join(", ", Stages)}.");
        return [.. stages.Distinct()];
    }

    private static string? SecretOf(string kind, JsonObject body)
    {
        var secret = RequestBody.String(body, "secret", 256);
        if (secret is null) return null;
        if (kind != "WEBHOOK") throw ApiRequestException.BadRequest("secret", "Only a WEBHOOK channel has a signing secret.");
        if (secret.Length < 16) throw ApiRequestException.BadRequest("secret", "secret must be at least 16 characters.");
        return secret;
    }

    /// <summary>The notification service opens it with associated data <c>notification-channel:{id}</c>: a sealed value copied to another row does not open.</summary>
    private static byte[] Seal(MasterKeyRing ring, Guid id, string secret) =>
        Encoding.UTF8.GetBytes(SealedText.Seal(ring, secret, $"notification-channel:{id}"));

    private const string Columns =
        "id AS Id, org_id AS OrgId, scope_type AS ScopeType, scope_id AS ScopeId, name AS Name, kind AS Kind, target::text AS Target, stages AS Stages, secret_sealed IS NOT NULL AS HasSecret, created_at AS CreatedAt, updated_at AS UpdatedAt";

    private static async Task<Row> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Scope scope, Guid scopeId, Guid id, CancellationToken ct, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM notification_channels WHERE id = @id AND scope_type = @type AND scope_id = @scopeId AND deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : "")}",
            new { id, type = scope.Type, scopeId }, transaction, cancellationToken: ct))
        ?? throw ApiRequestException.NotFound(null, $"{What} not found.");

    /// <summary>A row as read (settable properties: Dapper reads a text[] column as an Array, which no positional constructor takes).</summary>
    private sealed class Row
    {
        public Guid Id { get; init; }
        public Guid OrgId { get; init; }
        public string ScopeType { get; init; } = "";
        public Guid ScopeId { get; init; }
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Target { get; init; } = "{}";
        public string[] Stages { get; init; } = [];
        public bool HasSecret { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public NotificationChannelItem ToItem()
        {
            var target = JsonNode.Parse(Target) as JsonObject;
            var url = target?["url"]?.GetValue<string>();
            string[]? emails = target?["emails"] is JsonArray list ? [.. list.Select(n => n!.GetValue<string>())] : null;
            return new NotificationChannelItem(Id, OrgId, ScopeType, ScopeId, Name, Kind, url is null ? null : Redact(url), emails, Stages, HasSecret, CreatedAt, UpdatedAt);
        }
    }

    /// <summary>Scheme and host: enough to recognise the destination; a Slack hook's path is its credential.</summary>
    private static string Redact(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(invalid)";
}

/// <summary>What every channel handler needs, resolved once per request.</summary>
public sealed class ChannelDeps(
    ControlPlaneAccess access,
    OutboundGuard guard,
    [FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(SigningKeyStore.RingKey)] MasterKeyRing ring)
{
    public ControlPlaneAccess Access => access;
    public OutboundGuard Guard => guard;
    public NpgsqlDataSource Cpdb => cpdb;
    public MasterKeyRing Ring => ring;
}
