using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Http;

/// <summary>
/// A JSON object body read field by field, so every refusal names its field, and closed: a property the route
/// does not take is refused (400 naming it) rather than ignored, so a body cannot smuggle in an org, an owner or
/// an id (mass assignment).
/// </summary>
public sealed class JsonRequest
{
    private const int MaxBodyBytes = RequestBody.MaxBytes;

    private readonly JsonObject body;

    private JsonRequest(JsonObject body) => this.body = body;

    public static async Task<JsonRequest> ReadAsync(HttpRequest request, IReadOnlyCollection<string> allowed, CancellationToken cancellationToken)
    {
        var obj = await RequestBody.ReadObjectAsync(request, MaxBodyBytes, allowEmpty: false, cancellationToken);
        foreach (var (name, _) in obj)
        {
            if (!allowed.Contains(name))
                throw ApiRequestException.BadRequest(name, $"'{name}' is not a property of this request; it takes {string.Join(", ", allowed)}.");
        }
        return new JsonRequest(obj);
    }

    public bool Has(string field) => body.ContainsKey(field) && body[field] is not null;

    /// <summary>A string of <paramref name="min"/>..<paramref name="max"/> characters after trimming, without control characters.</summary>
    public string RequiredString(string field, int min, int max) =>
        OptionalString(field, min, max) ?? throw ApiRequestException.BadRequest(field, $"'{field}' is required.");

    public string? OptionalString(string field, int min, int max)
    {
        if (!Has(field)) return null;
        if (body[field] is not JsonValue value || !value.TryGetValue<string>(out var text))
            throw ApiRequestException.BadRequest(field, $"'{field}' must be a string.");
        text = text.Trim();
        if (text.Length < min || text.Length > max)
            throw ApiRequestException.BadRequest(field, $"'{field}' must be {min} to {max} characters.");
        if (text.Any(char.IsControl)) throw ApiRequestException.BadRequest(field, $"'{field}' must not contain control characters.");
        return text;
    }

    /// <summary>An array of strings; each element's errors name it (<c>scopes[2]</c>).</summary>
    public IReadOnlyList<string>? OptionalStringArray(string field, int maxItems)
    {
        if (!Has(field)) return null;
        if (body[field] is not JsonArray array) throw ApiRequestException.BadRequest(field, $"'{field}' must be an array of strings.");
        if (array.Count > maxItems) throw ApiRequestException.BadRequest(field, $"'{field}' takes at most {maxItems} items.");
        var items = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || !value.TryGetValue<string>(out var item))
                throw ApiRequestException.BadRequest($"{field}[{i}]", $"'{field}[{i}]' must be a string.");
            items.Add(item);
        }
        return items;
    }

    /// <summary>An RFC 3339 date-time with an offset (<c>2027-01-31T00:00:00Z</c>).</summary>
    public DateTimeOffset? OptionalTime(string field)
    {
        if (!Has(field)) return null;
        if (body[field] is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
            && (text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10))
            return at;
        throw ApiRequestException.BadRequest(field, $"'{field}' must be an RFC 3339 date-time with a time zone, e.g. 2027-01-31T00:00:00Z.");
    }

    public bool? OptionalBool(string field)
    {
        if (!Has(field)) return null;
        if (body[field] is JsonValue value && value.TryGetValue<bool>(out var flag)) return flag;
        throw ApiRequestException.BadRequest(field, $"'{field}' must be true or false.");
    }

    public Guid? OptionalGuid(string field)
    {
        if (!Has(field)) return null;
        if (body[field] is JsonValue value && value.TryGetValue<string>(out var text) && Guid.TryParse(text, out var id)) return id;
        throw ApiRequestException.BadRequest(field, $"'{field}' must be an id (a UUID string).");
    }
}
