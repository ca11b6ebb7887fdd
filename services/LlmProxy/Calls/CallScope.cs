using System.Security.Claims;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>
/// Who is calling and where the call is traced: the caller's project (every limit and every trace is per project),
/// its workspace (whose provider secrets and aliases are used), and the session the caller linked the call to
/// (<c>X-HH-Session-Id</c>, or the trace of a <c>traceparent</c>), if any.
/// </summary>
public sealed record CallScope(Guid ProjectId, Guid WorkspaceId, Guid OrgId)
{
    /// <summary>The caller's session id (X-HH-Session-Id), as sent.</summary>
    public string? SessionId { get; init; }

    /// <summary>The W3C traceparent the caller sent, as sent.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The configuration a playground run used, for its trace.</summary>
    public string? ConfigurationId { get; init; }

    /// <summary>The version of <see cref="ConfigurationId"/> the run used.</summary>
    public int? ConfigurationVersion { get; init; }

    /// <summary>
    /// The model event's id, when the platform's own caller gives one (a workflow activity re-executed after a crash passes
    /// the same id, so its call is stored as one event); null: a fresh id per call.
    /// </summary>
    public string? EventId { get; init; }

    /// <summary>The event the model event is a child of, when the platform's own caller gives one; null: the trace links decide.</summary>
    public string? ParentId { get; init; }

    public const string SessionHeader = "X-HH-Session-Id";

    public static CallScope Of(ClaimsPrincipal user, HttpRequest request) =>
        new(user.ProjectId(), user.WorkspaceId(), Guid.TryParse(user.FindFirstValue(ApiKeyIdentity.OrgIdClaim), out var org) ? org : Guid.Empty)
        {
            SessionId = Header(request, SessionHeader),
            TraceParent = Header(request, "traceparent"),
        };

    private static string? Header(HttpRequest request, string name) =>
        request.Headers[name].ToString() is { Length: > 0 and <= 512 } value ? value : null;
}
