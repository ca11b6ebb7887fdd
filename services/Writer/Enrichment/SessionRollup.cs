using System.Globalization;
using System.Text.Json;
using HoneyHive.Writer.Storage;

namespace HoneyHive.Writer.Enrichment;

/// <summary>
/// HoneyHive's session rules (docs /v2/tracing/aggregation-logic): reserved roll-ups on the session's
/// metadata, times from the session and its children, outputs from the final event, error from the
/// last failing child; and the keys every event of a session inherits from it.
/// </summary>
public static class SessionRollup
{
    /// <summary>Experiment keys that reach every event of a session (through baggage in the SDKs).</summary>
    public static readonly IReadOnlyList<string> InheritedKeys = ["run_id", "dataset_id", "datapoint_id"];

    /// <summary>Default name of a session created by <c>session_auto_create</c> (HoneyHive's).</summary>
    public const string AutoCreatedName = "Session";

    /// <summary>Fill what the child lacks from its session; true when anything changed.</summary>
    public static bool Inherit(EventRow child, EventRow session)
    {
        var changed = false;
        foreach (var key in InheritedKeys)
        {
            if (!child.Metadata.ContainsKey(key) && session.Metadata.TryGetValue(key, out var value))
            {
                child.Metadata[key] = value;
                changed = true;
            }
        }

        if (child.Source is "" or "unknown" && session.Source is not ("" or "unknown"))
        {
            child.Source = session.Source;
            changed = true;
        }

        return changed;
    }

    /// <summary>Whether the session has anything its children could inherit.</summary>
    public static bool HasInheritable(EventRow session) =>
        session.Source is not ("" or "unknown") || InheritedKeys.Any(session.Metadata.ContainsKey);

    /// <summary>
    /// A session row for a session that only its children announced (session_auto_create), named by the child's
    /// session_name (honeyhive.session_name) and carrying its user properties, so the session list tells sessions
    /// apart by name and user as it does for sessions started through the API.
    /// </summary>
    public static EventRow AutoCreated(EventRow child) => new()
    {
        EventId = child.SessionId,
        ProjectId = child.ProjectId,
        OrgId = child.OrgId,
        WorkspaceId = child.WorkspaceId,
        SessionId = child.SessionId,
        EventType = "session",
        EventName = SessionName(child) ?? AutoCreatedName,
        Source = child.Source,
        UserProperties = new(child.UserProperties),
        StartMs = child.StartMs,
        EndMs = child.EndMs,
        Metadata = InheritedKeys.Where(child.Metadata.ContainsKey).ToDictionary(k => k, k => child.Metadata[k]),
        Version = 0,
    };

    /// <summary>The child's metadata.session_name when it is a non-empty JSON string (metadata values are JSON text).</summary>
    private static string? SessionName(EventRow child)
    {
        if (!child.Metadata.TryGetValue("session_name", out var json) || json.Length < 3 || json[0] != '"') return null;
        try
        {
            return JsonSerializer.Deserialize<string>(json) is { Length: > 0 } name ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The session row <paramref name="session"/> with the roll-ups of its children applied.</summary>
    public static EventRow Apply(EventRow session, SessionAggregate? children, ulong version)
    {
        var row = session.Clone();
        row.Version = version;
        var metadata = row.Metadata;
        // Reserved keys: overwritten even when set by hand, as HoneyHive does.
        metadata["num_events"] = Json(children?.NumEvents ?? 0);
        metadata["num_model_events"] = Json(children?.NumModelEvents ?? 0);
        metadata["has_feedback"] = (children?.HasFeedback ?? false) || row.Feedback.Count > 0 ? "true" : "false";
        metadata["prompt_tokens"] = Json(children?.PromptTokens ?? 0);
        metadata["completion_tokens"] = Json(children?.CompletionTokens ?? 0);
        metadata["total_tokens"] = Json(children?.TotalTokens ?? 0);
        metadata["cost"] = Json(children?.Cost ?? 0);
        if (children is null) return row;

        var start = session.StartMs > 0 ? Math.Max(Math.Min(session.StartMs, children.StartMs), MonthStartMs(session.StartMs)) : children.StartMs;
        var end = Math.Max(session.EndMs, children.EndMs);
        // start_time is in the partition key (month): a child from the month before (a trace across midnight of
        // the 1st) moves the start only to the month's first instant, since revisions in two partitions never
        // merge into one row and a time-ranged read would meet the older revision alone.
        row.StartMs = start;
        row.EndMs = end;
        row.Duration = Math.Max(0, end - start);
        if (children.FinalOutputs.Count > 0) row.Outputs = new(children.FinalOutputs);
        if (string.IsNullOrEmpty(row.Error) && children.LastError is not null) row.Error = children.LastError;
        row.ChildrenIds = row.ChildrenIds.Union(children.TopLevelChildren.Order(StringComparer.Ordinal), StringComparer.Ordinal).ToList();
        return row;
    }

    private static double MonthStartMs(double ms)
    {
        var moment = DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
        return new DateTimeOffset(moment.Year, moment.Month, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    }

    private static string Json(double value) => JsonSerializer.Serialize(value);

    private static string Json(long value) => value.ToString(CultureInfo.InvariantCulture);
}
