using System.Text.Json.Serialization;

namespace HoneyHive.Contracts.Projects;

// The legacy project routes of honeyhive-openapi.yaml (POST/PUT/DELETE /v1/projects and the SDK's /projects): the data
// plane documents and forwards them, the control plane answers them, so both describe the same wire format from here.
// Classes with only the name required: the OpenAPI document marks every constructor parameter of a record required.

/// <summary>PostProjectRequest of honeyhive-openapi.yaml (documents the body; the CP reads it field by field).</summary>
public sealed class PostProjectRequest
{
    /// <summary>The new project's name, unique among the workspace's live projects.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Free text.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary><c>evaluation</c> or <c>completion</c>.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
}

/// <summary>PutProjectRequest of honeyhive-openapi.yaml.</summary>
public sealed class PutProjectRequest
{
    /// <summary>The project to change, by its current name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Its new name, if it changes.</summary>
    [JsonPropertyName("new_name")] public string? NewName { get; init; }

    /// <summary>Its new description, if it changes.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary><c>evaluation</c> or <c>completion</c>.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
}

/// <summary>PostProjectResponse / ProjectItem of honeyhive-openapi.yaml.</summary>
public sealed record LegacyProject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("org_id")] string OrgId,
    [property: JsonPropertyName("workspace_id")] string WorkspaceId,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt);
