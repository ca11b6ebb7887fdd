using System.Text.RegularExpressions;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

public enum FieldKind
{
    String,
    NullableString,
    Number,
    DateTime,
    Bucket,
}

/// <summary>
/// A field a request may name, resolved through the whitelist: a top-level column, or a bucket
/// path (<c>metadata.model</c>, <c>config.params.temperature</c>). <see cref="Column"/> is always
/// one of this class's constants; <see cref="Key"/> and <see cref="Path"/> are user text and
/// only ever travel as query parameters.
/// </summary>
public sealed partial record EventField(string Name, string Column, FieldKind Kind, string? Key, IReadOnlyList<string> Path)
{
    public const int MaxLength = 256;
    public const int MaxDepth = 8;

    public static readonly IReadOnlyDictionary<string, FieldKind> Columns = new Dictionary<string, FieldKind>(StringComparer.Ordinal)
    {
        ["event_id"] = FieldKind.String,
        ["session_id"] = FieldKind.String,
        ["parent_id"] = FieldKind.String,
        ["event_type"] = FieldKind.String,
        ["event_name"] = FieldKind.String,
        ["source"] = FieldKind.String,
        ["start_time"] = FieldKind.DateTime,
        ["end_time"] = FieldKind.DateTime,
        ["duration"] = FieldKind.Number,
        ["error"] = FieldKind.NullableString,
    };

    public static readonly IReadOnlySet<string> Buckets = new HashSet<string>(StringComparer.Ordinal)
    {
        "inputs", "outputs", "config", "metadata", "metrics", "feedback", "user_properties",
    };

    public bool IsBucket => Kind == FieldKind.Bucket;

    /// <summary>Resolves <paramref name="field"/> or throws a validation error naming it.</summary>
    public static EventField Resolve(string? field, string parameter = "field")
    {
        if (string.IsNullOrEmpty(field))
            throw ApiRequestException.BadRequest(parameter, "A field name is required.");
        if (field.Length > MaxLength || !FieldPattern().IsMatch(field))
            throw ApiRequestException.BadRequest(field,
                "Field names are dot-separated segments of letters, digits, '_' and '-' (e.g. metadata.model).");

        var segments = field.Split('.');
        if (segments.Length > MaxDepth + 1)
            throw ApiRequestException.BadRequest(field, $"Field paths are at most {MaxDepth} levels below the bucket.");

        if (segments.Length == 1 && Columns.TryGetValue(field, out var kind))
            return new EventField(field, field, kind, null, []);
        if (Buckets.Contains(segments[0]) && segments.Length >= 2)
            return new EventField(field, segments[0], FieldKind.Bucket, segments[1], segments[2..]);

        throw ApiRequestException.BadRequest(field, field == "project_id"
            ? "project_id is not filterable: every query is scoped to the API key's project."
            : "Unknown field: use a top-level column (" + string.Join(", ", Columns.Keys)
              + ") or a bucket path (" + string.Join(", ", Buckets) + ").<key>[.<nested>].");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldPattern();
}
