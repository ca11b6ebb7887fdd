using System.Text.Json;
using System.Text.Json.Serialization;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>Where a role is granted: the whole org, one workspace, or one project.</summary>
public static class GrantScopes
{
    public const string Org = "org";
    public const string Workspace = "workspace";
    public const string Project = "project";

    public static IReadOnlyList<string> All { get; } = [Org, Workspace, Project];

    public static bool IsKnown(string scope) => scope is Org or Workspace or Project;
}

/// <summary>Permissions held at one node of the tenancy tree, and so at everything under it.</summary>
public sealed record Grant(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("permissions")] IReadOnlyList<string> Permissions);

/// <summary>A project, workspace or org and its ancestors: what a grant must name to apply to it.</summary>
public sealed record TenancyPath(Guid OrgId, Guid? WorkspaceId = null, Guid? ProjectId = null)
{
    public static TenancyPath ForProject(Guid orgId, Guid workspaceId, Guid projectId) => new(orgId, workspaceId, projectId);

    public bool Covers(Grant grant) => grant.Scope switch
    {
        GrantScopes.Org => grant.Id == OrgId,
        GrantScopes.Workspace => WorkspaceId is { } workspace && grant.Id == workspace,
        GrantScopes.Project => ProjectId is { } project && grant.Id == project,
        _ => false,
    };
}

/// <summary>
/// The one authorization rule of both planes: a caller may do <c>permission</c> on a node when a grant on that
/// node or one of its ancestors holds it. The control plane reads grants live from cpdb; the data plane reads
/// them from the caller's access token or derives them from the project API key.
/// </summary>
public static class GrantRules
{
    /// <summary>The claim of an access token (and of a data-plane principal) that carries the grants as JSON.</summary>
    public const string Claim = "hh_grants";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Every permission <paramref name="grants"/> give on <paramref name="path"/>.</summary>
    public static IReadOnlySet<string> PermissionsAt(IEnumerable<Grant> grants, TenancyPath path)
    {
        var permissions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var grant in grants)
        {
            if (path.Covers(grant)) permissions.UnionWith(grant.Permissions.Where(Permissions.IsKnown));
        }
        return permissions;
    }

    public static bool Allows(IEnumerable<Grant> grants, TenancyPath path, string permission) =>
        PermissionsAt(grants, path).Contains(permission);

    /// <summary>True when some grant reaches into <paramref name="path"/> at all (used to answer 404 rather than 403).</summary>
    public static bool Reaches(IEnumerable<Grant> grants, TenancyPath path) => grants.Any(path.Covers);

    public static string Serialize(IEnumerable<Grant> grants) => JsonSerializer.Serialize(grants.ToArray(), Json);

    /// <summary>The grants of a claim value; null when it is not a well-formed grant list (the token is then refused).</summary>
    public static IReadOnlyList<Grant>? TryParse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            var grants = JsonSerializer.Deserialize<Grant[]>(json, Json);
            if (grants is null || grants.Any(g => g is null || !GrantScopes.IsKnown(g.Scope) || g.Permissions is null)) return null;
            return grants;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
