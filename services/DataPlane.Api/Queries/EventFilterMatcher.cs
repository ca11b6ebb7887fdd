using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// HoneyHive filters (an online metric's <c>filters.filterArray</c>, an alert's <c>event_filters</c>) applied to one event in memory, with the semantics the event search gives the same
/// filters in ClickHouse (FilterCompiler): every filter must hold; a field is a dotted path (<c>event_type</c>,
/// <c>metadata.model</c>, <c>inputs.chat.0</c>); strings compare exactly for is / is not and case-insensitively for contains;
/// numbers and times compare as numbers (times as Unix milliseconds or ISO 8601); booleans as true/false text. A missing
/// field fails every test but the negative ones (not exists, is not, not contains), as an absent column does there.
/// </summary>
public static class EventFilterMatcher
{
    /// <summary>Whether <paramref name="event"/> passes every filter of <paramref name="filters"/> (a definition's <c>filters</c>).</summary>
    public static bool Matches(JsonNode? filters, JsonObject @event) => Matches(filters?["filterArray"] as JsonArray, @event);

    /// <summary>Whether <paramref name="event"/> passes every filter of <paramref name="array"/> (SingleFilter objects); none: it does.</summary>
    public static bool Matches(JsonArray? array, JsonObject @event)
    {
        if (array is null) return true;
        foreach (var item in array)
        {
            if (item is not JsonObject filter) continue;
            if (!Holds(filter, @event)) return false;
        }
        return true;
    }

    /// <summary>Whether one filter (field, operator, value, type) holds on the event.</summary>
    public static bool Holds(JsonObject filter, JsonObject @event)
    {
        var field = filter["field"]?.GetValue<string>() ?? "";
        var op = filter["operator"]?.GetValue<string>()?.Trim().ToLowerInvariant() ?? "";
        var type = filter["type"]?.GetValue<string>()?.Trim().ToLowerInvariant() ?? "string";
        var expected = filter["value"];
        var actual = Resolve(@event, field);

        if (op == "exists") return Present(actual);
        if (op == "not exists") return !Present(actual);
        return (type, op) switch
        {
            ("string", "is") => Text(actual) is { } s && s == Text(expected),
            ("string", "is not") => !(Text(actual) is { } s && s == Text(expected)),
            ("string", "contains") => Contains(actual, expected),
            ("string", "not contains") => !Contains(actual, expected),
            ("number", "is") => Compare(Number(actual), Number(expected)) == 0,
            ("number", "is not") => Compare(Number(actual), Number(expected)) != 0,
            ("number", "greater than") => Compare(Number(actual), Number(expected)) > 0,
            ("number", "less than") => Compare(Number(actual), Number(expected)) < 0,
            ("boolean", "is") => Boolean(actual) is { } b && b == Boolean(expected),
            ("boolean", "is not") => !(Boolean(actual) is { } b && b == Boolean(expected)),
            ("datetime", "is") => Compare(Time(actual), Time(expected)) == 0,
            ("datetime", "is not") => Compare(Time(actual), Time(expected)) != 0,
            ("datetime", "after" or "greater than") => Compare(Time(actual), Time(expected)) > 0,
            ("datetime", "before" or "less than") => Compare(Time(actual), Time(expected)) < 0,
            // Definitions were normalized when stored, so another pair cannot occur; match nothing rather than everything.
            _ => false,
        };
    }

    /// <summary>The value at a dotted path: object keys, and array indexes for arrays. Null when any step is missing.</summary>
    public static JsonNode? Resolve(JsonObject @event, string path)
    {
        // A bucket key may itself contain dots (OTLP attribute names): the whole remainder is tried as one key first.
        if (@event.TryGetPropertyValue(path, out var whole)) return whole;
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0) return null;
        JsonNode? node = @event[path[..dot]];
        var rest = path[(dot + 1)..];
        while (node is not null)
        {
            if (node is JsonObject obj)
            {
                if (obj.TryGetPropertyValue(rest, out var exact)) return exact;
                dot = rest.IndexOf('.', StringComparison.Ordinal);
                var key = dot < 0 ? rest : rest[..dot];
                node = obj[key];
            }
            else if (node is JsonArray list)
            {
                dot = rest.IndexOf('.', StringComparison.Ordinal);
                var key = dot < 0 ? rest : rest[..dot];
                node = int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count ? list[index] : null;
            }
            else
            {
                return null;
            }
            if (dot < 0) return node;
            rest = rest[(dot + 1)..];
        }
        return null;
    }

    private static bool Present(JsonNode? node) => node is not null && !(node.GetValueKind() == JsonValueKind.String && node.GetValue<string>().Length == 0);

    /// <summary>A string unquoted, any other JSON value as written (42, true, {...}); null when absent.</summary>
    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static bool Contains(JsonNode? actual, JsonNode? expected) =>
        Text(actual) is { } text && Text(expected) is { } part && text.Contains(part, StringComparison.OrdinalIgnoreCase);

    private static double? Number(JsonNode? node) => node?.GetValueKind() switch
    {
        // Parsed from its JSON text: a node built in code may hold an int or a decimal, which GetValue<double> refuses.
        JsonValueKind.Number => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
        JsonValueKind.String when double.TryParse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) => n,
        _ => null,
    };

    private static bool? Boolean(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(node.GetValue<string>(), out var b) => b,
        _ => null,
    };

    /// <summary>A time as Unix milliseconds: a number is one already (the event's own times are), a string is ISO 8601 or numeric.</summary>
    private static double? Time(JsonNode? node)
    {
        if (Number(node) is { } ms) return ms;
        if (node?.GetValueKind() != JsonValueKind.String) return null;
        return DateTimeOffset.TryParse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? (time - DateTimeOffset.UnixEpoch).TotalMilliseconds
            : null;
    }

    /// <summary>Null when either side is missing: no comparison holds then (like ClickHouse's ifNull(..., 0)).</summary>
    private static int? Compare(double? actual, double? expected) =>
        actual is { } a && expected is { } e ? a.CompareTo(e) : null;
}
