using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>VirtualDataplaneItem of the control-plane spec.</summary>
public sealed record VirtualDataplaneItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("cluster_id")] string ClusterId,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt);

/// <summary>WorkspaceItem of the control-plane spec.</summary>
public sealed record WorkspaceItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt);

/// <summary>
/// ProjectItem of the control-plane spec, with its retention: the days of events data planes keep (its own setting,
/// or its org's default when <c>retention_source</c> is <c>org</c>).
/// </summary>
public sealed record ProjectItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTime UpdatedAt,
    [property: JsonPropertyName("retention_days")] int RetentionDays,
    [property: JsonPropertyName("retention_source")] string RetentionSource);

/// <summary>
/// An org the caller belongs to, with the caller's org-wide role (null for none, or for an API key) and the retention
/// its projects without one of their own get.
/// </summary>
public sealed record OrgItem(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("default_retention_days")] int DefaultRetentionDays);

// Request shapes, declared for the OpenAPI document only (the handlers read bodies through RequestBody, which refuses
// unknown fields). Classes with optional properties rather than positional records: the document generator marks a
// record's constructor parameters required, and the document must require exactly what the spec requires.
public sealed class PostVirtualDataplaneRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("slug")] public string? Slug { get; init; }
    [JsonPropertyName("cluster_id")] public string? ClusterId { get; init; }
    [JsonPropertyName("dataplane_creator")] public string? DataplaneCreator { get; init; }
}

public sealed class PutVirtualDataplaneRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
}

public sealed class PostWorkspaceRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("slug")] public string? Slug { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("workspace_creator")] public string? WorkspaceCreator { get; init; }
}

public sealed class PutWorkspaceRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
}

public sealed class PostProjectRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("project_creator")] public string? ProjectCreator { get; init; }
    /// <summary>1 to 3650 days; absent or null: the org's default.</summary>
    [JsonPropertyName("retention_days")] public int? RetentionDays { get; init; }
}

public sealed class PutProjectRequest
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    /// <summary>1 to 3650 days, or null to follow the org's default.</summary>
    [JsonPropertyName("retention_days")] public int? RetentionDays { get; init; }
}

public sealed class PutOrgRequest
{
    /// <summary>1 to 3650 days: the retention of every project without one of its own.</summary>
    [JsonPropertyName("default_retention_days")] public int? DefaultRetentionDays { get; init; }
}

/// <summary>The spec's rules for display names, slugs and cluster ids.</summary>
public static partial class TenancyNames
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 4000;

    /// <summary>Letters, digits, space, underscore, hyphen, apostrophe and ampersand; one letter or digit at least; no leading space.</summary>
    public static string DisplayName(string value, string field)
    {
        if (value.Length == 0) throw ApiRequestException.BadRequest(field, $"{field} is required.");
        if (!Allowed().IsMatch(value) || value[0] == ' ' || !value.Any(char.IsLetterOrDigit))
            throw ApiRequestException.BadRequest(field,
                $"{field} may hold letters, digits, space, underscore, hyphen, apostrophe and ampersand, must hold a letter or digit and must not start with a space.");
        return value;
    }

    public static string Slug(string value, string field) =>
        SlugPattern().IsMatch(value) ? value : throw ApiRequestException.BadRequest(field, $"{field} may hold letters, digits and underscores only (1 to 200).");

    /// <summary>A slug derived from a name with a random suffix, as the spec does when none is sent.</summary>
    public static string DerivedSlug(string name)
    {
        var stem = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (stem.Length >= 40) break;
            stem.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_');
        }
        return $"{stem.ToString().Trim('_')}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}".TrimStart('_');
    }

    public static string ClusterId(string value, string field) =>
        ClusterPattern().IsMatch(value) ? value : throw ApiRequestException.BadRequest(field, $"{field} may hold letters, digits, '-', '_' and '.' only (1 to 100).");

    [GeneratedRegex(@"^[\p{L}\p{Nd} _\-'&]+$")]
    private static partial Regex Allowed();

    [GeneratedRegex("^[A-Za-z0-9_]{1,200}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,100}$")]
    private static partial Regex ClusterPattern();

    /// <summary>A plausible email address (a mailbox is only proven by the mail arriving).</summary>
    public static string Email(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) throw ApiRequestException.BadRequest(field, $"{field} is required.");
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (value.Length > 254 || at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw ApiRequestException.BadRequest(field, $"{field} is not an email address.");
        return value;
    }
}
