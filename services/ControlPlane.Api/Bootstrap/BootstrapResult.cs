using System.Text.Json.Serialization;

namespace HoneyHive.ControlPlane.Api.Bootstrap;

/// <summary>The content of .data/bootstrap.json: the only place the first key and password appear in clear.</summary>
public sealed record BootstrapResult(
    [property: JsonPropertyName("admin_email")] string AdminEmail,
    [property: JsonPropertyName("admin_password")] string AdminPassword,
    [property: JsonPropertyName("org_id")] Guid OrgId,
    [property: JsonPropertyName("org_name")] string OrgName,
    [property: JsonPropertyName("workspace_id")] Guid WorkspaceId,
    [property: JsonPropertyName("workspace_name")] string WorkspaceName,
    [property: JsonPropertyName("project_id")] Guid ProjectId,
    [property: JsonPropertyName("project_name")] string ProjectName,
    [property: JsonPropertyName("api_key")] string ApiKey);
