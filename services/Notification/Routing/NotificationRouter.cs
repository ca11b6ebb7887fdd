using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.Notifications;
using HoneyHive.Notification.Delivery;
using HoneyHive.Notification.Templates;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.Notification.Routing;

/// <summary>The deliveries of one message, and the org they belong to (null for the account mails).</summary>
public sealed record DeliveryPlan(Guid? OrgId, IReadOnlyList<Delivery.Delivery> Deliveries)
{
    public static readonly DeliveryPlan Nothing = new(null, []);
}

/// <summary>A message that no redelivery can route (malformed, an unknown type or template).</summary>
public sealed class UnroutableMessageException(string message) : Exception(message);

/// <summary>
/// Turns a message into its deliveries, reading cpdb. An alert's stage change goes to the alert's own destination for
/// that stage (<c>alerts.notification_details</c>: warning, critical or resolved; a missing warning uses critical's) and
/// to every live notification channel of the project, its workspace or its org that subscribed to the stage; a paused or
/// deleted alert sends nothing. An experiment's completion goes to the project's channels, or when it has none to the
/// members who may read its alerts. The account mails go to their one address.
/// </summary>
public sealed class NotificationRouter(
    [FromKeyedServices(NotificationModule.Database)] NpgsqlDataSource cpdb,
    [FromKeyedServices(NotificationModule.RingKey)] MasterKeyRing ring,
    IOptions<NotificationOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DeliveryPlan> PlanAsync(string messageId, string type, JsonElement data, CancellationToken cancellationToken) => type switch
    {
        AlertStageChanged.EventType => await AlertAsync(messageId, Read<AlertStageChanged>(data), cancellationToken),
        ExperimentFinished.EventType => await ExperimentAsync(messageId, Read<ExperimentFinished>(data), cancellationToken),
        _ when data.ValueKind == JsonValueKind.Object && data.TryGetProperty("template", out var template) => Email(messageId, template.GetString(), data),
        _ => throw new UnroutableMessageException($"Unknown notification type '{type}'."),
    };

    private DeliveryPlan Email(string messageId, string? template, JsonElement data)
    {
        var (to, content) = template switch
        {
            PasswordResetEmail.TemplateName => Read<PasswordResetEmail>(data) is var reset ? (reset.To, NotificationTemplates.PasswordReset(reset)) : default,
            InvitationMessage.TemplateName => Read<InvitationMessage>(data) is var invitation ? (invitation.To, NotificationTemplates.Invitation(invitation)) : default,
            _ => throw new UnroutableMessageException($"Unknown mail template '{template}'."),
        };
        return new DeliveryPlan(null, [new Delivery.Delivery(messageId, $"email:{Normalize(to)}", ChannelKinds.Email, to, content)]);
    }

    private async Task<DeliveryPlan> AlertAsync(string messageId, AlertStageChanged change, CancellationToken cancellationToken)
    {
        var alertId = Id(change.AlertId, "alert_id");
        var projectId = Id(change.ProjectId, "project_id");
        var key = change.Stage switch
        {
            AlertNames.StageWarning => "warning",
            AlertNames.StageCritical => "critical",
            AlertNames.StageResolution => "resolved",
            _ => throw new UnroutableMessageException($"Unknown alert stage '{change.Stage}'."),
        };
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var alert = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            """
            SELECT a.status AS Status, a.deleted_at IS NOT NULL AS Deleted, a.notification_details::text AS Details,
                   p.name AS ProjectName, p.workspace_id AS WorkspaceId, w.org_id AS OrgId
            FROM alerts a JOIN projects p ON p.id = a.project_id JOIN workspaces w ON w.id = p.workspace_id
            WHERE a.id = @alertId AND a.project_id = @projectId
            """, new { alertId, projectId }, cancellationToken: cancellationToken));
        // Gone, deleted or paused since the engine judged it: the user asked for silence.
        if (alert is null || alert.Deleted || alert.Status == AlertNames.Paused) return DeliveryPlan.Nothing;

        var project = new ProjectScope(projectId, alert.WorkspaceId, alert.OrgId, alert.ProjectName);
        var content = NotificationTemplates.AlertStageChanged(change, project.Name, options.Value.AppUrl);
        var deliveries = new List<Delivery.Delivery>();
        var details = JsonNode.Parse(alert.Details) as JsonObject;
        var destination = details?[key] as JsonObject ?? (key == "warning" ? details?["critical"] as JsonObject : null);
        if (destination is not null)
            deliveries.AddRange(await AlertDestinationAsync(connection, messageId, alertId, key, destination, project, content, cancellationToken));
        deliveries.AddRange(await ChannelsAsync(connection, messageId, project, change.Stage, content, cancellationToken));
        // One mail per address and one post per Slack hook, however many routes lead there (a member who is also on the
        // org's list). Webhooks stay apart: each destination signs with its own secret.
        return new DeliveryPlan(project.OrgId, [.. deliveries.DistinctBy(d => d.Kind switch
        {
            ChannelKinds.Webhook => d.Key,
            ChannelKinds.Email => $"email:{Normalize(d.Target)}",
            _ => $"{d.Kind}:{d.Target}",
        })]);
    }

    private async Task<DeliveryPlan> ExperimentAsync(string messageId, ExperimentFinished run, CancellationToken cancellationToken)
    {
        var projectId = Id(run.ProjectId, "project_id");
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        var project = await connection.QuerySingleOrDefaultAsync<ProjectScope>(new CommandDefinition(
            """
            SELECT p.id AS ProjectId, p.workspace_id AS WorkspaceId, w.org_id AS OrgId, p.name AS Name
            FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE p.id = @projectId AND p.deleted_at IS NULL
            """, new { projectId }, cancellationToken: cancellationToken));
        if (project is null) return DeliveryPlan.Nothing;
        var content = NotificationTemplates.ExperimentFinished(run, project.Name, options.Value.AppUrl);
        var channels = await ChannelsAsync(connection, messageId, project, stage: null, content, cancellationToken);
        if (channels.Count > 0) return new DeliveryPlan(project.OrgId, channels);
        var members = await ProjectReadersAsync(connection, project, cancellationToken);
        return new DeliveryPlan(project.OrgId, [.. members.Select(email => new Delivery.Delivery(messageId, $"members:email:{Normalize(email)}", ChannelKinds.Email, email, content))]);
    }

    private async Task<List<Delivery.Delivery>> AlertDestinationAsync(
        NpgsqlConnection connection, string messageId, Guid alertId, string key, JsonObject destination, ProjectScope project,
        NotificationContent content, CancellationToken cancellationToken)
    {
        var channel = destination["channel"]?.GetValue<string>();
        var metadata = destination["metadata"] as JsonObject;
        var prefix = $"alert:{key}";
        switch (channel)
        {
            case ChannelKinds.Email:
                var emails = new List<string>();
                if (destination["scope"]?.GetValue<string>() == "SPECIFIC_MEMBER")
                {
                    var ids = (destination["user_ids"] as JsonArray ?? []).Select(n => Guid.TryParse(n?.GetValue<string>(), out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToArray();
                    emails.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                        """
                        SELECT u.email FROM users u JOIN org_members m ON m.user_id = u.id AND m.org_id = @orgId
                        WHERE u.id = ANY(@ids) AND u.disabled_at IS NULL
                        """, new { orgId = project.OrgId, ids }, cancellationToken: cancellationToken)));
                }
                else
                {
                    emails.AddRange(await ProjectReadersAsync(connection, project, cancellationToken));
                }
                emails.AddRange((metadata?["emails"] as JsonArray ?? []).Select(n => n?.GetValue<string>()).OfType<string>());
                return [.. emails.DistinctBy(Normalize).Select(e => new Delivery.Delivery(messageId, $"{prefix}:email:{Normalize(e)}", ChannelKinds.Email, e, content))];
            case ChannelKinds.Slack or ChannelKinds.Webhook:
            {
                var url = metadata?["url"]?.GetValue<string>();
                if (url is null) return [];
                var sealedSecret = channel == ChannelKinds.Webhook ? metadata?["secret_sealed"]?.GetValue<string>() : null;
                var (secret, secretError) = sealedSecret is { Length: > 0 } ? Open(sealedSecret, $"alert-webhook:{alertId}:{key}") : (null, null);
                return [new Delivery.Delivery(messageId, $"{prefix}:{channel.ToLowerInvariant()}", channel, url, content, secret, secretError)];
            }
            default:
                return [];
        }
    }

    /// <summary>The live channels of the project, its workspace and its org (those subscribed to <paramref name="stage"/> when given).</summary>
    private async Task<List<Delivery.Delivery>> ChannelsAsync(
        NpgsqlConnection connection, string messageId, ProjectScope project, string? stage, NotificationContent content, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<ChannelRow>(new CommandDefinition(
            """
            SELECT id AS Id, kind AS Kind, target::text AS Target, secret_sealed AS SecretSealed
            FROM notification_channels
            WHERE deleted_at IS NULL AND org_id = @OrgId
              AND ((scope_type = 'project' AND scope_id = @ProjectId) OR (scope_type = 'workspace' AND scope_id = @WorkspaceId)
                   OR (scope_type = 'org' AND scope_id = @OrgId))
              AND (@stage::text IS NULL OR @stage = ANY(stages))
            ORDER BY created_at, id
            """, new { project.OrgId, project.ProjectId, project.WorkspaceId, stage }, cancellationToken: cancellationToken));
        var deliveries = new List<Delivery.Delivery>();
        foreach (var row in rows)
        {
            var target = JsonNode.Parse(row.Target) as JsonObject;
            if (row.Kind == ChannelKinds.Email)
            {
                foreach (var email in (target?["emails"] as JsonArray ?? []).Select(n => n?.GetValue<string>()).OfType<string>().DistinctBy(Normalize))
                    deliveries.Add(new Delivery.Delivery(messageId, $"channel:{row.Id}:email:{Normalize(email)}", ChannelKinds.Email, email, content));
            }
            else if (target?["url"]?.GetValue<string>() is { } url)
            {
                var (secret, error) = row.Kind == ChannelKinds.Webhook && row.SecretSealed is { Length: > 0 } sealedBytes
                    ? Open(Encoding.UTF8.GetString(sealedBytes), $"notification-channel:{row.Id}")
                    : (null, null);
                deliveries.Add(new Delivery.Delivery(messageId, $"channel:{row.Id}", row.Kind, url, content, secret, error));
            }
        }
        return deliveries;
    }

    /// <summary>
    /// Every enabled member of the org who may read the project's alerts: through their org-wide role, or a role bound on
    /// the project's workspace or the project itself (built-in or one of the org's custom roles).
    /// </summary>
    private static async Task<List<string>> ProjectReadersAsync(NpgsqlConnection connection, ProjectScope project, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string Email, string? Role)>(new CommandDefinition(
            """
            SELECT u.email, m.role FROM org_members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @OrgId AND u.disabled_at IS NULL
            UNION ALL
            SELECT u.email, b.role FROM role_bindings b
            JOIN org_members m ON m.org_id = b.org_id AND m.user_id = b.user_id JOIN users u ON u.id = b.user_id
            WHERE b.org_id = @OrgId AND u.disabled_at IS NULL
              AND ((b.scope_type = 'workspace' AND b.scope_id = @WorkspaceId) OR (b.scope_type = 'project' AND b.scope_id = @ProjectId))
            """, new { project.OrgId, project.WorkspaceId, project.ProjectId }, cancellationToken: cancellationToken));
        var custom = (await connection.QueryAsync<(string Name, string[] Permissions)>(new CommandDefinition(
            "SELECT name, permissions FROM custom_roles WHERE org_id = @OrgId", new { project.OrgId }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Name, r => (IReadOnlyList<string>)Permissions.KnownOnly(r.Permissions));
        return [.. rows
            .Where(r => r.Role is { } role && (BuiltInRoles.PermissionsOf(role) ?? custom.GetValueOrDefault(role) ?? []).Contains(Permissions.AlertsRead))
            .Select(r => r.Email)
            .DistinctBy(Normalize)
            .Order(StringComparer.Ordinal)];
    }

    private (string? Secret, string? Error) Open(string sealedText, string associatedData)
    {
        try
        {
            return (SealedText.Open(ring, sealedText, associatedData), null);
        }
        catch (CryptographicException)
        {
            // Never sent unsigned: a receiver that checks signatures would refuse it, one that does not would be fooled.
            return (null, "The webhook's signing secret cannot be opened with the control plane's master keys.");
        }
    }

    private static T Read<T>(JsonElement data)
    {
        try
        {
            return data.Deserialize<T>(Json) ?? throw new UnroutableMessageException($"The {typeof(T).Name} payload is empty.");
        }
        catch (JsonException e)
        {
            throw new UnroutableMessageException($"The {typeof(T).Name} payload does not parse: {e.Message}");
        }
    }

    private static Guid Id(string value, string field) =>
        Guid.TryParse(value, out var id) ? id : throw new UnroutableMessageException($"{field} '{value}' is not a UUID.");

    private static string Normalize(string email) => email.Trim().ToLowerInvariant();

    private sealed record AlertRow(string Status, bool Deleted, string Details, string ProjectName, Guid WorkspaceId, Guid OrgId);

    private sealed record ProjectScope(Guid ProjectId, Guid WorkspaceId, Guid OrgId, string Name);

    private sealed record ChannelRow(Guid Id, string Kind, string Target, byte[]? SecretSealed);
}
