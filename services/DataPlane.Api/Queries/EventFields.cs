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

    /// <summary>
    /// Bucket paths with a typed column of their own (Schema/0006_events_typed_columns.sql), each the DEFAULT
    /// <see cref="FilterCompiler"/>'s own expression for the path computes, so using the column answers the same.
    /// Text columns hold the path's text, number columns its Nullable(Float64) value.
    /// </summary>
    private static readonly Dictionary<(string Bucket, string Key), (string Column, bool IsNumber)> TypedColumns = new()
    {
        [("config", "model")] = ("model", false),
        [("metadata", "cost")] = ("cost", true),
        [("metadata", "total_tokens")] = ("total_tokens", true),
        [("metadata", "prompt_tokens")] = ("prompt_tokens", true),
        [("metadata", "completion_tokens")] = ("completion_tokens", true),
        [("metadata", "session_name")] = ("session_name", false),
        [("user_properties", "user_id")] = ("user_id", false),
    };

    public bool IsBucket => Kind == FieldKind.Bucket;

    /// <summary>The typed column holding this bucket path's text, or null.</summary>
    public string? TypedText => Typed(number: false);

    /// <summary>The typed column holding this bucket path's number (NULL when absent or not numeric), or null.</summary>
    public string? TypedNumber => Typed(number: true);

    private string? Typed(bool number) =>
        Kind == FieldKind.Bucket && Path.Count == 0 && TypedColumns.TryGetValue((Column, Key!), out var typed) && typed.IsNumber == number
            ? typed.Column
            : null;

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
