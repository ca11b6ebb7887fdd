using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.Notifications;
using HoneyHive.Notification.Delivery;

namespace HoneyHive.Notification.Templates;

/// <summary>The <c>notifications.email</c> payload of an invitation (the control plane's InvitationMail publishes it).</summary>
public sealed record InvitationMessage(
    [property: System.Text.Json.Serialization.JsonPropertyName("template")] string Template,
    [property: System.Text.Json.Serialization.JsonPropertyName("to")] string To,
    [property: System.Text.Json.Serialization.JsonPropertyName("accept_url")] string AcceptUrl,
    [property: System.Text.Json.Serialization.JsonPropertyName("org_name")] string OrgName,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt)
{
    public const string TemplateName = "invitation";
}

/// <summary>
/// What each notification says, in every form (mail text and HTML, Slack blocks, webhook JSON). Everything a tenant
/// typed (alert and project names) is escaped for the form it lands in.
/// </summary>
public static class NotificationTemplates
{
    public const string AlertEvent = "alert.stage_changed";
    public const string ExperimentEvent = "experiment.finished";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static NotificationContent AlertStageChanged(AlertStageChanged change, string projectName, string appUrl)
    {
        var link = ProjectLink(appUrl, change.ProjectId);
        var result = change.Result;
        var threshold = change.Stage switch
        {
            AlertNames.StageWarning => result.Thresholds.Warning ?? result.Thresholds.Critical,
            AlertNames.StageCritical => result.Thresholds.Critical,
            _ => result.Thresholds.Resolved,
        };
        var value = result.DriftPercentage ?? result.CurrentBucketScore;
        var valueText = value is { } v ? Number(v) + (result.DriftPercentage is null ? "" : " % drift") : "n/a";
        var thresholdText = $"{Operator(threshold.Operator)} {Number(threshold.Value)}";
        var window = result.EventId is { } eventId ? $"event {eventId}"
            : result.WindowStart is { } start && result.WindowEnd is { } end ? $"{start.UtcDateTime:u} to {end.UtcDateTime:u}" : "n/a";
        var headline = change.Stage switch
        {
            AlertNames.StageResolution => $"RESOLVED: {change.AlertName}",
            _ => $"{change.Stage}: {change.AlertName}",
        };
        var summary = change.Stage == AlertNames.StageResolution
            ? $"Alert \"{change.AlertName}\" in project {projectName} recovered (was {change.PreviousStage})."
            : $"Alert \"{change.AlertName}\" in project {projectName} is {change.Stage} (was {change.PreviousStage}).";
        var facts = new (string Label, string Value)[]
        {
            ("Stage", change.Stage),
            ("Value", valueText),
            ("Threshold", thresholdText),
            ("Aggregation", $"{result.Aggregation} over {result.SampleSize.ToString(CultureInfo.InvariantCulture)} events"),
            ("Window", window),
            ("Alert type", change.AlertType),
        };

        var text = $"{summary}\n\n{string.Join('\n', facts.Select(f => $"{f.Label}: {f.Value}"))}\n\nProject: {link}\n";
        var html = $"""
            <p>{H(summary)}</p>
            <table>{string.Concat(facts.Select(f => $"<tr><th align=\"left\">{H(f.Label)}</th><td>{H(f.Value)}</td></tr>"))}</table>
            <p><a href="{H(link)}">Open the project</a></p>
            """;
        var slack = new JsonObject
        {
            ["text"] = $"{headline} ({valueText}, threshold {thresholdText})",
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Clip(headline, 150) } },
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = S(summary) } },
                new JsonObject
                {
                    ["type"] = "section",
                    ["fields"] = new JsonArray([.. facts.Select(f => (JsonNode)new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{S(f.Label)}*\n{S(f.Value)}" })]),
                },
                new JsonObject
                {
                    ["type"] = "actions",
                    ["elements"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Open the project" },
                        ["url"] = link,
                    }),
                }),
        };
        var webhook = new JsonObject
        {
            ["event"] = AlertEvent,
            ["id"] = change.Id,
            ["project_url"] = link,
            ["data"] = JsonSerializer.SerializeToNode(change, Json),
        };
        return new NotificationContent(AlertEvent, $"[HoneyHive] {headline}", text, html, slack, webhook);
    }

    public static NotificationContent ExperimentFinished(ExperimentFinished run, string projectName, string appUrl)
    {
        var link = ProjectLink(appUrl, run.ProjectId);
        var summary = $"Experiment run {run.RunId} in project {projectName} is {run.Status}: {run.Done} of {run.Total} done, {run.Failed} failed.";
        var text = $"{summary}\n\nProject: {link}\n";
        var html = $"<p>{H(summary)}</p><p><a href=\"{H(link)}\">Open the project</a></p>";
        var slack = new JsonObject
        {
            ["text"] = summary,
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"{S(summary)}\n<{link}|Open the project>" } }),
        };
        var webhook = new JsonObject
        {
            ["event"] = ExperimentEvent,
            ["id"] = run.Id,
            ["project_url"] = link,
            ["data"] = JsonSerializer.SerializeToNode(run, Json),
        };
        return new NotificationContent(ExperimentEvent, $"[HoneyHive] Experiment run {run.Status}: {projectName}", text, html, slack, webhook);
    }

    public static NotificationContent PasswordReset(PasswordResetEmail mail)
    {
        var expires = mail.ExpiresAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
        var text = $"Someone asked to reset the password of your HoneyHive account.\n\nSet a new password here (the link works once, until {expires}):\n{mail.ResetUrl}\n\nIf it was not you, ignore this mail; your password stays as it is.\n";
        var html = $"""
            <p>Someone asked to reset the password of your HoneyHive account.</p>
            <p><a href="{H(mail.ResetUrl)}">Set a new password</a> (the link works once, until {H(expires)}).</p>
            <p>If it was not you, ignore this mail; your password stays as it is.</p>
            """;
        return new NotificationContent("email.password_reset", "Reset your HoneyHive password", text, html, null, null);
    }

    public static NotificationContent Invitation(InvitationMessage mail)
    {
        var expires = mail.ExpiresAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
        var text = $"You are invited to join {mail.OrgName} on HoneyHive.\n\nAccept the invitation here (until {expires}):\n{mail.AcceptUrl}\n";
        var html = $"""
            <p>You are invited to join <b>{H(mail.OrgName)}</b> on HoneyHive.</p>
            <p><a href="{H(mail.AcceptUrl)}">Accept the invitation</a> (until {H(expires)}).</p>
            """;
        return new NotificationContent("email.invitation", $"You are invited to {mail.OrgName} on HoneyHive", text, html, null, null);
    }

    public static string ProjectLink(string appUrl, string projectId) => $"{appUrl.TrimEnd('/')}/p/{Uri.EscapeDataString(projectId)}";

    private static string Operator(string op) => op switch
    {
        "greater_than" => ">",
        "less_than" => "<",
        "equal_to" => "=",
        _ => op,
    };

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string H(string value) => WebUtility.HtmlEncode(value);

    /// <summary>Slack mrkdwn: &amp;, &lt; and &gt; are its control characters (links, mentions).</summary>
    private static string S(string value) => value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..(max - 1)] + "…";
}
