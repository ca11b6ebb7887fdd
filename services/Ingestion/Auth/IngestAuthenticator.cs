using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.Ingestion.Auth;

/// <summary>Outcome of checking a request's project API key; the key itself is never part of it.</summary>
public readonly record struct IngestAuthResult(Tenant? Tenant, bool Forbidden, string? Problem, bool Unavailable = false)
{
    /// <summary>The key could not be checked (dpdb unreachable): a retryable 503 / UNAVAILABLE, never a 401.</summary>
    public static IngestAuthResult DirectoryUnavailable { get; } = new(null, false, "The API key cannot be checked right now.", Unavailable: true);

    public static IngestAuthResult Missing { get; } = new(null, false, "Send 'Authorization: Bearer <project API key>'.");
    public static IngestAuthResult Unknown { get; } = new(null, false, "The API key is unknown or revoked.");
    public static IngestAuthResult NoIngestScope { get; } = new(null, true, "This API key may not ingest data (it lacks the 'ingest' scope).");
}

/// <summary>
/// API-key check for the OTLP endpoints, which must answer in OTLP's own error format (a
/// google.rpc.Status, or a gRPC status) rather than through ASP.NET's challenge.
/// </summary>
public sealed class IngestAuthenticator(ApiKeyDirectory directory)
{
    public async Task<IngestAuthResult> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (!BearerToken.TryRead(authorization, out var key)) return IngestAuthResult.Missing;
        if (!BearerToken.IsPlausible(key)) return IngestAuthResult.Unknown;

        ApiKeyIdentity? identity;
        try
        {
            identity = await directory.FindAsync(key, cancellationToken);
        }
        catch (KeyDirectoryUnavailableException)
        {
            return IngestAuthResult.DirectoryUnavailable;
        }

        if (identity is null) return IngestAuthResult.Unknown;
        if (!ApiScopes.Allows(identity.Scopes, ApiScopes.Ingest)) return IngestAuthResult.NoIngestScope;
        return new IngestAuthResult(new Tenant(identity.ProjectId.ToString(), identity.WorkspaceId.ToString(), identity.OrgId.ToString()), false, null);
    }
}
