using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Infrastructure;

/// <summary>Validation errors keyed by the JSON path of the offending field (e.g. <c>threshold.min</c>).</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors;
    private readonly string prefix;

    public FieldErrors()
    {
        errors = new(StringComparer.Ordinal);
        prefix = "";
    }

    private FieldErrors(FieldErrors parent, string prefix)
    {
        errors = parent.errors;
        this.prefix = parent.prefix + prefix;
    }

    public bool Any => errors.Count > 0;

    /// <summary>The same error list, with <paramref name="path"/> in front of every field (a nested object's errors).</summary>
    public FieldErrors Under(string path) => new(this, path);

    public void Add(string field, string message)
    {
        field = prefix + field;
        if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
        list.Add(message);
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>Throws when anything was recorded, so a handler answers 400 before touching the database.</summary>
    public void ThrowIfAny()
    {
        if (Any) throw new ApiRequestException(ToDictionary());
    }
}

/// <summary>Answers a handler returns itself (a refusal is thrown as <see cref="ApiRequestException"/> instead).</summary>
public static class ApiResults
{
    public static NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails> NotFound(string what) =>
        TypedResults.NotFound(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status404NotFound,
            Title = $"{what} not found.",
            Detail = $"No {what.ToLowerInvariant()} with this id exists in the caller's project.",
        });
}

/// <summary>Reads and checks JSON request bodies field by field, so each error names its field.</summary>
public static class JsonBody
{
    public const long MaxBodyBytes = 1 << 20;

    /// <summary>The body as a JSON object, or a 400 naming <c>body</c>.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes) throw ApiRequestException.BadRequest("body", $"The body is larger than {MaxBodyBytes} bytes.");
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            throw ApiRequestException.BadRequest("body", "The body is not valid JSON.");
        }
        return node as JsonObject ?? throw ApiRequestException.BadRequest("body", "The body must be a JSON object.");
    }

    /// <summary>Records every key of <paramref name="obj"/> outside <paramref name="allowed"/> (schemas with additionalProperties: false).</summary>
    public static void RejectUnknown(JsonObject obj, IReadOnlySet<string> allowed, FieldErrors errors, string prefix = "")
    {
        foreach (var (key, _) in obj)
        {
            if (!allowed.Contains(key)) errors.Add(prefix + key, "Unknown field.");
        }
    }

    public static JsonValueKind Kind(JsonNode? node) => node is null ? JsonValueKind.Null : node.GetValueKind();

    /// <summary>A string field; null when absent or JSON null (and <paramref name="required"/> records the error).</summary>
    public static string? String(JsonObject obj, string key, string path, FieldErrors errors, bool required = false, int maxLength = int.MaxValue, bool nonBlank = false)
    {
        var node = obj[key];
        if (node is null)
        {
            if (required) errors.Add(path, "Required.");
            return null;
        }
        if (Kind(node) != JsonValueKind.String)
        {
            errors.Add(path, "Must be a string.");
            return null;
        }
        var value = node.GetValue<string>();
        if (nonBlank && string.IsNullOrWhiteSpace(value)) errors.Add(path, "Must not be empty.");
        else if (value.Length > maxLength) errors.Add(path, $"Must be at most {maxLength} characters.");
        return value;
    }

    public static string? OneOf(JsonObject obj, string key, string path, IReadOnlyCollection<string> values, FieldErrors errors, bool required = false)
    {
        var value = String(obj, key, path, errors, required);
        if (value is not null && !values.Contains(value))
        {
            errors.Add(path, $"Must be one of: {string.Join(", ", values)}.");
            return null;
        }
        return value;
    }

    public static bool? Bool(JsonObject obj, string key, string path, FieldErrors errors)
    {
        var node = obj[key];
        if (node is null) return null;
        switch (Kind(node))
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            default:
                errors.Add(path, "Must be true or false.");
                return null;
        }
    }

    public static double? Number(JsonObject obj, string key, string path, FieldErrors errors, double? min = null, double? max = null)
    {
        var node = obj[key];
        if (node is null) return null;
        if (Kind(node) != JsonValueKind.Number)
        {
            errors.Add(path, "Must be a number.");
            return null;
        }
        var value = node.GetValue<double>();
        if ((min is not null && value < min) || (max is not null && value > max))
        {
            errors.Add(path, $"Must be between {min?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-∞"} and {max?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "∞"}.");
            return null;
        }
        return value;
    }

    /// <summary>A strictly positive integer (the spec's <c>exclusiveMinimum: 0</c>).</summary>
    public static int? PositiveInteger(JsonObject obj, string key, string path, FieldErrors errors)
    {
        var node = obj[key];
        if (node is null) return null;
        if (Kind(node) == JsonValueKind.Number && node.GetValue<double>() is var value && value == Math.Floor(value) && value is > 0 and <= int.MaxValue)
            return (int)value;
        errors.Add(path, "Must be an integer greater than 0.");
        return null;
    }

    public static JsonObject? Object(JsonObject obj, string key, string path, FieldErrors errors)
    {
        var node = obj[key];
        if (node is null) return null;
        if (node is not JsonObject value)
        {
            errors.Add(path, "Must be an object.");
            return null;
        }
        return value;
    }

    public static JsonArray? Array(JsonObject obj, string key, string path, FieldErrors errors, int minItems = 0, int maxItems = 1000)
    {
        var node = obj[key];
        if (node is null) return null;
        if (node is not JsonArray value)
        {
            errors.Add(path, "Must be an array.");
            return null;
        }
        if (value.Count < minItems) errors.Add(path, $"Must have at least {minItems} item(s).");
        else if (value.Count > maxItems) errors.Add(path, $"Must have at most {maxItems} items.");
        return value;
    }

    /// <summary>A JSON value copied into a new tree (nodes can have one parent only).</summary>
    public static JsonNode? Copy(JsonNode? node) => node?.DeepClone();
}

/// <summary>The <c>limit</c> every list takes: a default and an upper bound.</summary>
public static class ListLimit
{
    public const int Max = 1000;

    /// <summary>
    /// The query text, parsed here rather than bound as an int: a value past int's range would
    /// otherwise fail binding with a 400 that does not name <c>limit</c>.
    /// </summary>
    public static int Resolve(string? limit, int @default = Max) =>
        limit is null ? @default
        : int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= Max ? value
        : throw ApiRequestException.BadRequest("limit", $"Must be a whole number between 1 and {Max}.");
}
