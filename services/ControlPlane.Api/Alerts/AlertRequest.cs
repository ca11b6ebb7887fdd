using System.Globalization;
using System.Net.Mail;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoneyHive.Contracts.Alerts;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Alerts;

/// <summary>An alert as stored: the spec's PostAlertRequest after every check, webhook secrets sealed.</summary>
public sealed record AlertSpec(
    string Name,
    string? Description,
    string Frequency,
    int MinimumSampleSize,
    string AlertType,
    string Aggregation,
    JsonArray Filters,
    IReadOnlyList<string> Projections,
    AlertThresholds Thresholds,
    JsonObject NotificationDetails,
    string Status,
    DateTimeOffset? MutedUntil,
    int RecoverySeconds);

/// <summary>
/// Reads and checks the body of a create or update: every refusal is a 400 naming the field (as
/// <c>thresholds.critical.value</c>) and saying what to send instead. The spec's PostAlertRequest plus three fields of
/// ours: <c>thresholds.warning</c> / <c>notification_details.warning</c> (a stage before critical), <c>muted_until</c>
/// and <c>recovery_seconds</c> (how long recovery must hold before a resolution is sent).
/// </summary>
public static partial class AlertRequest
{
    public static readonly string[] Fields =
    [
        "name", "description", "frequency", "minimum_sample_size", "alert_type", "aggregation", "thresholds", "filters",
        "projections", "notification_details", "status", "muted_until", "recovery_seconds",
    ];

    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxFilters = 20;
    public const int MaxRecipients = 50;
    public const int MaxRecoverySeconds = 86_400;
    public const int MaxSampleSize = 1_000_000;

    private static readonly string[] FilterOperators =
        ["exists", "not exists", "is", "is not", "contains", "not contains", "greater than", "less than", "after", "before"];

    private static readonly string[] FilterTypes = ["string", "number", "boolean", "datetime"];
    private static readonly string[] Channels = ["EMAIL", "SLACK", "WEBHOOK"];
    private static readonly string[] Scopes = ["ALL_PROJECT_MEMBERS", "SPECIFIC_MEMBER"];

    /// <summary>The stage keys of thresholds and notification_details, with whether each is required.</summary>
    private static readonly (string Key, bool Required)[] StageKeys = [("critical", true), ("resolved", true), ("warning", false)];

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldPath();

    /// <summary>Everything a check needs from outside the body.</summary>
    /// <param name="AlertId">The alert's id (sealed secrets are bound to it).</param>
    /// <param name="OrgMembers">Whether each of a set of user ids belongs to the alert's org.</param>
    /// <param name="Previous">The stored notification_details an update replaces: a webhook keeps its sealed secret when its URL is unchanged and no new one is sent.</param>
    public sealed record Context(
        Guid AlertId,
        MasterKeyRing Ring,
        OutboundGuard Guard,
        Func<IReadOnlyCollection<Guid>, CancellationToken, Task<IReadOnlyCollection<Guid>>> OrgMembers,
        JsonObject? Previous);

    /// <summary>Checks a full request (create, or an update merged over the stored alert).</summary>
    public static async Task<AlertSpec> ParseAsync(JsonObject body, Context context, CancellationToken cancellationToken)
    {
        var name = RequestBody.RequiredString(body, "name", MaxNameLength).Trim();
        if (name.Length == 0) throw ApiRequestException.BadRequest("name", "name must not be blank.");
        var description = RequestBody.String(body, "description", MaxDescriptionLength);
        var frequency = Enum(body, "frequency", AlertNames.Frequencies, null);
        var alertType = Enum(body, "alert_type", AlertNames.Types, AlertNames.Aggregate);
        var aggregation = Enum(body, "aggregation", AlertNames.Aggregations, "AVERAGE");
        var minimumSampleSize = Integer(body, "minimum_sample_size", 0, MaxSampleSize, 0);
        var recoverySeconds = Integer(body, "recovery_seconds", 0, MaxRecoverySeconds, 0);
        var status = Enum(body, "status", AlertNames.Statuses, AlertNames.Active);
        // TRIGGERED and RESOLVED describe what the engine saw; a client pauses or (re)activates.
        if (status is AlertNames.Triggered or AlertNames.Resolved) status = AlertNames.Active;
        var mutedUntil = Time(body, "muted_until");
        var filters = Filters(body);
        var projections = Projections(body, aggregation, alertType);
        var thresholds = Thresholds(body);
        var details = await NotificationDetailsAsync(body, context, cancellationToken);
        return new AlertSpec(name, description, frequency, minimumSampleSize, alertType, aggregation, filters, projections, thresholds,
            details, status, mutedUntil, recoverySeconds);
    }

    private static string Enum(JsonObject body, string field, string[] allowed, string? fallback)
    {
        var value = RequestBody.String(body, field, 64);
        if (value is null) return fallback ?? throw ApiRequestException.BadRequest(field, $"{field} is required: one of {string.Join(", ", allowed)}.");
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw ApiRequestException.BadRequest(field, $"{field} must be one of {string.Join(", ", allowed)}, not '{value}'.");
    }

    private static int Integer(JsonObject body, string field, int min, int max, int fallback)
    {
        var node = body[field];
        if (node is null) return fallback;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) && number >= min && number <= max)
            return number;
        throw ApiRequestException.BadRequest(field, $"{field} must be a whole number from {min} to {max}.");
    }

    private static DateTimeOffset? Time(JsonObject body, string field)
    {
        var text = RequestBody.String(body, field, 64);
        if (text is null) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUniversalTime()
            : throw ApiRequestException.BadRequest(field, $"{field} must be an ISO 8601 time such as 2026-12-31T23:00:00Z, or null.");
    }

    /// <summary>The spec's SingleFilter list, limited to the operator and type pairs the engine can judge.</summary>
    private static JsonArray Filters(JsonObject body)
    {
        if (body["filters"] is not JsonArray array)
            throw ApiRequestException.BadRequest("filters", "filters is required: an array of {field, operator, value, type} (it may be empty).");
        if (array.Count > MaxFilters) throw ApiRequestException.BadRequest("filters", $"filters holds more than {MaxFilters} filters.");
        var result = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"filters[{i}]";
            if (array[i] is not JsonObject filter) throw ApiRequestException.BadRequest(at, $"{at} must be an object {{field, operator, value, type}}.");
            foreach (var (key, _) in filter)
                if (key is not ("field" or "operator" or "value" or "type"))
                    throw ApiRequestException.BadRequest($"{at}.{key}", $"{at} takes field, operator, value and type, not {key}.");
            var field = RequestBody.String(filter, "field", 256) is { Length: > 0 } f && FieldPath().IsMatch(f)
                ? f : throw ApiRequestException.BadRequest($"{at}.field", $"{at}.field must be an event field such as event_type or metadata.model.");
            var op = RequestBody.String(filter, "operator", 32) is { } o && FilterOperators.Contains(o)
                ? o : throw ApiRequestException.BadRequest($"{at}.operator", $"{at}.operator must be one of {string.Join(", ", FilterOperators)}.");
            var type = RequestBody.String(filter, "type", 16) is { } t && FilterTypes.Contains(t)
                ? t : throw ApiRequestException.BadRequest($"{at}.type", $"{at}.type must be one of {string.Join(", ", FilterTypes)}.");
            if (!Judgeable(type, op))
                throw ApiRequestException.BadRequest($"{at}.operator", $"{at}: the operator '{op}' does not apply to a {type}.");
            if (!filter.ContainsKey("value")) throw ApiRequestException.BadRequest($"{at}.value", $"{at}.value is required (null for exists / not exists).");
            var value = filter["value"];
            if (value is not null and not JsonValue) throw ApiRequestException.BadRequest($"{at}.value", $"{at}.value must be a string, number, boolean or null.");
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 1024)
                throw ApiRequestException.BadRequest($"{at}.value", $"{at}.value must be at most 1024 characters.");
            result.Add(new JsonObject { ["field"] = field, ["operator"] = op, ["value"] = value?.DeepClone(), ["type"] = type });
        }
        return result;
    }

    private static bool Judgeable(string type, string op) => op is "exists" or "not exists" || (type, op) switch
    {
        ("string", "is" or "is not" or "contains" or "not contains") => true,
        ("number", "is" or "is not" or "greater than" or "less than") => true,
        ("boolean", "is" or "is not") => true,
        ("datetime", "is" or "is not" or "after" or "before" or "greater than" or "less than") => true,
        _ => false,
    };

    /// <summary>The field to aggregate: exactly one, except COUNT, which counts events and may name none.</summary>
    private static List<string> Projections(JsonObject body, string aggregation, string alertType)
    {
        if (!body.ContainsKey("projections")) throw ApiRequestException.BadRequest("projections", "projections is required: the event field to aggregate, e.g. [\"duration\"].");
        var projections = RequestBody.StringArray(body, "projections", 1, 256)
            ?? throw ApiRequestException.BadRequest("projections", "projections must be an array holding the one field to aggregate.");
        foreach (var (projection, i) in projections.Select((p, i) => (p, i)))
            if (!FieldPath().IsMatch(projection))
                throw ApiRequestException.BadRequest($"projections[{i}]", $"projections[{i}] must be an event field such as duration or metrics.accuracy.");
        var countsEvents = aggregation == "COUNT" && alertType != AlertNames.PerEvent;
        if (projections.Count == 0 && !countsEvents)
            throw ApiRequestException.BadRequest("projections", $"projections must name the field to aggregate with {aggregation} (only COUNT of a scheduled alert needs none).");
        return projections;
    }

    private static AlertThresholds Thresholds(JsonObject body)
    {
        if (body["thresholds"] is not JsonObject thresholds)
            throw ApiRequestException.BadRequest("thresholds", "thresholds is required: {critical: {operator, value}, resolved: {operator, value}}.");
        foreach (var (key, _) in thresholds)
            if (!StageKeys.Any(s => s.Key == key)) throw ApiRequestException.BadRequest($"thresholds.{key}", $"thresholds takes critical, resolved and warning, not {key}.");
        var critical = Threshold(thresholds, "critical")!;
        var resolved = Threshold(thresholds, "resolved")!;
        var warning = Threshold(thresholds, "warning");

        // A value may not be both alarming and recovered, or an alert would fire and resolve on the same value forever.
        if (Overlap(critical, resolved))
            throw ApiRequestException.BadRequest("thresholds.resolved", "thresholds.resolved overlaps thresholds.critical: no value may cross both (e.g. critical greater_than 10, resolved less_than 8).");
        if (warning is not null)
        {
            if (warning.Operator != critical.Operator || critical.Operator == "equal_to")
                throw ApiRequestException.BadRequest("thresholds.warning", "thresholds.warning must use the operator of thresholds.critical (greater_than or less_than).");
            var lessSevere = critical.Operator == "greater_than" ? warning.Value < critical.Value : warning.Value > critical.Value;
            if (!lessSevere) throw ApiRequestException.BadRequest("thresholds.warning.value", "thresholds.warning.value must be crossed before thresholds.critical.value.");
            if (Overlap(warning, resolved))
                throw ApiRequestException.BadRequest("thresholds.resolved", "thresholds.resolved overlaps thresholds.warning: no value may cross both.");
        }
        return new AlertThresholds(critical, resolved, warning);
    }

    private static AlertThreshold? Threshold(JsonObject thresholds, string key)
    {
        var at = $"thresholds.{key}";
        var node = thresholds[key];
        if (node is null)
            return key == "warning" ? null : throw ApiRequestException.BadRequest(at, $"{at} is required: {{operator, value}}.");
        if (node is not JsonObject threshold) throw ApiRequestException.BadRequest(at, $"{at} must be an object {{operator, value}}.");
        foreach (var (name, _) in threshold)
            if (name is not ("operator" or "value")) throw ApiRequestException.BadRequest($"{at}.{name}", $"{at} takes operator and value, not {name}.");
        var op = RequestBody.String(threshold, "operator", 32) is { } o && AlertNames.Operators.Contains(o)
            ? o : throw ApiRequestException.BadRequest($"{at}.operator", $"{at}.operator must be one of {string.Join(", ", AlertNames.Operators)}.");
        if (threshold["value"] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !double.IsFinite(v.GetValue<double>()))
            throw ApiRequestException.BadRequest($"{at}.value", $"{at}.value must be a finite number.");
        return new AlertThreshold(op, v.GetValue<double>());
    }

    /// <summary>Whether some value crosses both thresholds.</summary>
    private static bool Overlap(AlertThreshold a, AlertThreshold b) => (a.Operator, b.Operator) switch
    {
        ("greater_than", "greater_than") or ("less_than", "less_than") => true,
        ("greater_than", "less_than") => b.Value > a.Value,
        ("less_than", "greater_than") => a.Value > b.Value,
        ("equal_to", _) => b.IsCrossedBy(a.Value),
        (_, "equal_to") => a.IsCrossedBy(b.Value),
        _ => true,
    };

    private static async Task<JsonObject> NotificationDetailsAsync(JsonObject body, Context context, CancellationToken cancellationToken)
    {
        if (body["notification_details"] is not JsonObject details)
            throw ApiRequestException.BadRequest("notification_details", "notification_details is required: {critical: {channel, scope, metadata}, resolved: {...}}.");
        foreach (var (key, _) in details)
            if (!StageKeys.Any(s => s.Key == key))
                throw ApiRequestException.BadRequest($"notification_details.{key}", $"notification_details takes critical, resolved and warning, not {key}.");
        var result = new JsonObject();
        foreach (var (key, required) in StageKeys)
        {
            var at = $"notification_details.{key}";
            var node = details[key];
            if (node is null)
            {
                if (required) throw ApiRequestException.BadRequest(at, $"{at} is required: {{channel, scope, metadata}}.");
                continue;
            }
            if (node is not JsonObject destination) throw ApiRequestException.BadRequest(at, $"{at} must be an object {{channel, scope, user_ids, metadata}}.");
            result[key] = await DestinationAsync(destination, at, key, context, cancellationToken);
        }
        return result;
    }

    private static async Task<JsonObject> DestinationAsync(JsonObject destination, string at, string key, Context context, CancellationToken cancellationToken)
    {
        foreach (var (name, _) in destination)
            if (name is not ("channel" or "scope" or "user_ids" or "metadata"))
                throw ApiRequestException.BadRequest($"{at}.{name}", $"{at} takes channel, scope, user_ids and metadata, not {name}.");
        var channel = RequestBody.String(destination, "channel", 16) is { } c && Channels.Contains(c)
            ? c : throw ApiRequestException.BadRequest($"{at}.channel", $"{at}.channel must be one of {string.Join(", ", Channels)}.");
        var scope = RequestBody.String(destination, "scope", 32) is { } s && Scopes.Contains(s)
            ? s : throw ApiRequestException.BadRequest($"{at}.scope", $"{at}.scope must be one of {string.Join(", ", Scopes)}.");
        var userIds = await UserIdsAsync(destination, at, scope, context, cancellationToken);
        if (destination["metadata"] is not JsonObject metadata)
            throw ApiRequestException.BadRequest($"{at}.metadata", $"{at}.metadata is required: an object ({{url}} for SLACK and WEBHOOK, {{}} or {{emails}} for EMAIL).");

        var stored = new JsonObject();
        if (channel == "EMAIL")
        {
            foreach (var (name, _) in metadata)
                if (name != "emails") throw ApiRequestException.BadRequest($"{at}.metadata.{name}", $"{at}.metadata of an EMAIL takes emails, not {name}.");
            var emails = RequestBody.StringArray(metadata, "emails", MaxRecipients, 254) ?? [];
            foreach (var (email, i) in emails.Select((e, i) => (e, i)))
                if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
                    throw ApiRequestException.BadRequest($"{at}.metadata.emails[{i}]", $"{at}.metadata.emails[{i}] is not an email address.");
            if (emails.Count > 0) stored["emails"] = new JsonArray([.. emails.Select(e => (JsonNode)e)]);
        }
        else
        {
            foreach (var (name, _) in metadata)
                if (name is not "url" && !(channel == "WEBHOOK" && name == "secret"))
                    throw ApiRequestException.BadRequest($"{at}.metadata.{name}", $"{at}.metadata of a {channel} takes url{(channel == "WEBHOOK" ? " and secret" : "")}, not {name}.");
            var urlText = RequestBody.String(metadata, "url", 2048)
                ?? throw ApiRequestException.BadRequest($"{at}.metadata.url", $"{at}.metadata.url is required for a {channel}.");
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url))
                throw ApiRequestException.BadRequest($"{at}.metadata.url", $"{at}.metadata.url is not an absolute URL.");
            try
            {
                await context.Guard.CheckUrlAsync(url, cancellationToken);
            }
            catch (OutboundAddressRefusedException refused)
            {
                throw ApiRequestException.BadRequest($"{at}.metadata.url", $"{at}.metadata.url may not be called: {refused.Message}");
            }
            stored["url"] = url.AbsoluteUri;
            if (channel == "WEBHOOK") SealSecret(metadata, stored, at, key, url.AbsoluteUri, context);
        }
        var result = new JsonObject { ["channel"] = channel, ["scope"] = scope, ["metadata"] = stored };
        if (userIds.Count > 0) result["user_ids"] = new JsonArray([.. userIds.Select(u => (JsonNode)u.ToString())]);
        return result;
    }

    private static async Task<List<Guid>> UserIdsAsync(JsonObject destination, string at, string scope, Context context, CancellationToken cancellationToken)
    {
        var texts = RequestBody.StringArray(destination, "user_ids", MaxRecipients, 64) ?? [];
        var ids = texts.Select((t, i) => RequestBody.Id(t, $"{at}.user_ids[{i}]")).Distinct().ToList();
        if (scope == "SPECIFIC_MEMBER" && ids.Count == 0)
            throw ApiRequestException.BadRequest($"{at}.user_ids", $"{at}.user_ids must name at least one member when scope is SPECIFIC_MEMBER.");
        if (ids.Count == 0) return ids;
        var members = await context.OrgMembers(ids, cancellationToken);
        var stranger = ids.FirstOrDefault(id => !members.Contains(id));
        if (stranger != Guid.Empty)
            throw ApiRequestException.BadRequest($"{at}.user_ids", $"{at}.user_ids names {stranger}, who is not a member of this organization.");
        return ids;
    }

    /// <summary>
    /// A webhook's signing secret is write-only: sealed here, never returned. Without a new one, an update keeps the
    /// stored one while the URL stays the same (a secret must not follow the alert to another receiver).
    /// </summary>
    private static void SealSecret(JsonObject metadata, JsonObject stored, string at, string key, string url, Context context)
    {
        var secret = RequestBody.String(metadata, "secret", 256);
        if (secret is not null)
        {
            if (secret.Length < 16) throw ApiRequestException.BadRequest($"{at}.metadata.secret", $"{at}.metadata.secret must be at least 16 characters.");
            stored["secret_sealed"] = SealedText.Seal(context.Ring, secret, AssociatedData(context.AlertId, key));
            return;
        }
        if (context.Previous?[key]?["metadata"] is JsonObject previous && previous["url"]?.GetValue<string>() == url
            && previous["secret_sealed"]?.GetValue<string>() is { } kept)
            stored["secret_sealed"] = kept;
    }

    /// <summary>What a webhook secret of an alert's stage is bound to (the notification service opens it with the same).</summary>
    public static string AssociatedData(Guid alertId, string key) => $"alert-webhook:{alertId}:{key}";
}
