using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.Ingestion.Auth;

/// <summary>
/// Outcome of checking an OTLP request's credentials; the credentials themselves are never part of it.
/// <see cref="Status"/> is the HTTP status to answer with when <see cref="Tenant"/> is null (401, 400, 403, 404, 503).
/// </summary>
public readonly record struct IngestAuthResult(Tenant? Tenant, int Status, string? Problem)
{
    /// <summary>The credentials could not be checked (dpdb unreachable): a retryable 503 / UNAVAILABLE, never a 401.</summary>
    public bool Unavailable => Status == StatusCodes.Status503ServiceUnavailable;

    public bool Forbidden => Status == StatusCodes.Status403Forbidden;
}

/// <summary>
/// The data plane's credential check (<see cref="DataPlaneAuthenticator"/>: project API key or access token) for the
/// OTLP endpoints, which must answer in OTLP's own error format (a google.rpc.Status, or a gRPC status) rather than
/// through ASP.NET's challenge; the caller must hold <see cref="Permissions.EventsIngest"/> in the project.
/// </summary>
public sealed class IngestAuthenticator(DataPlaneAuthenticator authenticator)
{
    public const string Scheme = "Otlp";

    public async Task<IngestAuthResult> AuthenticateAsync(string? authorization, string? projectHeader, CancellationToken cancellationToken)
    {
        var result = await authenticator.AuthenticateAsync(authorization, projectHeader, Scheme, cancellationToken);
        if (result.Anonymous) return new(null, StatusCodes.Status401Unauthorized, "Send 'Authorization: Bearer <project API key or access token>'.");
        if (result.Principal is not { } user) return new(null, result.Status, result.Detail);
        if (!user.Has(Permissions.EventsIngest))
        {
            return new(null, StatusCodes.Status403Forbidden, user.HasClaim(c => c.Type == AccessTokenPrincipal.UserIdClaim)
                ? $"Sending traces needs the '{Permissions.EventsIngest}' permission in this project; your roles here do not grant it."
                : "This API key may not ingest data (it lacks the 'ingest' scope).");
        }
        return new(new Tenant(user.ProjectId().ToString(), user.WorkspaceId().ToString(),
            user.FindFirst(ApiKeyIdentity.OrgIdClaim)?.Value ?? ""), StatusCodes.Status200OK, null);
    }
}
