namespace HoneyHive.Ingestion.Normalization;

/// <summary>Where the events of a request belong: always the API key's project, never the payload's.</summary>
public sealed record Tenant(string ProjectId, string WorkspaceId, string OrgId);
