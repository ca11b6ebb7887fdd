using System.Globalization;
using System.Text.Json;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Compiles HoneyHive filters into a ClickHouse boolean expression. Field names resolve through
/// <see cref="EventField"/>'s whitelist to column constants; bucket keys, nested path segments
/// and values become query parameters. Operators and types follow the spec's table:
/// string (exists, not exists, is, is not, contains, not contains), number (... greater than,
/// less than), boolean (exists, not exists, is, is not), datetime (... after, before).
/// The SDK's type <c>id</c> is treated as string. A missing type is inferred from the column, the
/// operator or the value.
/// </summary>
public static class FilterCompiler
{
    private static readonly string[] Operators =
        ["exists", "not exists", "is", "is not", "contains", "not contains", "greater than", "less than", "after", "before"];

    public static string Compile(IReadOnlyList<EventFilter>? filters, QueryParameters parameters)
    {
        if (filters is null || filters.Count == 0) return "1";
        return string.Join(" AND ", filters.Select(f => "(" + Compile(f, parameters) + ")"));
    }

    public static string Compile(EventFilter filter, QueryParameters parameters)
    {
        var field = EventField.Resolve(filter.Field);
        var op = filter.Operator?.Trim().ToLowerInvariant();
        if (op is null || !Operators.Contains(op))
            throw ApiRequestException.BadRequest(field.Name, $"Unknown operator '{filter.Operator}': use one of {string.Join(", ", Operators)}.");

        var type = ResolveType(field, op, filter);
        if (op == "exists") return Exists(field, parameters);
        if (op == "not exists") return "NOT " + Exists(field, parameters);

        return (type, op) switch
        {
            ("string", "is") => $"{Text(field, parameters)} = {parameters.String(StringValue(field, filter.Value))}",
            ("string", "is not") => $"NOT ({Text(field, parameters)} = {parameters.String(StringValue(field, filter.Value))})",
            ("string", "contains") => $"positionCaseInsensitiveUTF8({Text(field, parameters)}, {parameters.String(StringValue(field, filter.Value))}) > 0",
            ("string", "not contains") => $"positionCaseInsensitiveUTF8({Text(field, parameters)}, {parameters.String(StringValue(field, filter.Value))}) = 0",
            ("number", "is") => $"ifNull({Number(field, parameters)} = {parameters.Float(NumberValue(field, filter.Value))}, 0)",
            ("number", "is not") => $"NOT ifNull({Number(field, parameters)} = {parameters.Float(NumberValue(field, filter.Value))}, 0)",
            ("number", "greater than") => $"ifNull({Number(field, parameters)} > {parameters.Float(NumberValue(field, filter.Value))}, 0)",
            ("number", "less than") => $"ifNull({Number(field, parameters)} < {parameters.Float(NumberValue(field, filter.Value))}, 0)",
            ("boolean", "is") => $"{Boolean(field, parameters)} = {parameters.String(BooleanValue(field, filter.Value))}",
            ("boolean", "is not") => $"NOT ({Boolean(field, parameters)} = {parameters.String(BooleanValue(field, filter.Value))})",
            ("datetime", "is") => $"ifNull({DateTime(field, parameters)} = {parameters.Time(TimeValue(field, filter.Value))}, 0)",
            ("datetime", "is not") => $"NOT ifNull({DateTime(field, parameters)} = {parameters.Time(TimeValue(field, filter.Value))}, 0)",
            ("datetime", "after" or "greater than") => $"ifNull({DateTime(field, parameters)} > {parameters.Time(TimeValue(field, filter.Value))}, 0)",
            ("datetime", "before" or "less than") => $"ifNull({DateTime(field, parameters)} < {parameters.Time(TimeValue(field, filter.Value))}, 0)",
            _ => throw ApiRequestException.BadRequest(field.Name, $"Operator '{op}' does not apply to type '{type}'."),
        };
    }

    /// <summary>The field as text: a JSON string value unquoted, any other JSON value as written (42, true, {...}).</summary>
    public static string Text(EventField field, QueryParameters parameters) => field.Kind switch
    {
        FieldKind.String => field.Column,
        FieldKind.NullableString => $"ifNull({field.Column}, '')",
        FieldKind.Number => $"toString({field.Column})",
        FieldKind.DateTime => $"toString({field.Column})",
        _ => field.TypedText ?? BucketText(Raw(field, parameters)),
    };

    /// <summary>The field as Nullable(Float64): NULL when absent or not numeric.</summary>
    public static string Number(EventField field, QueryParameters parameters) => field.Kind switch
    {
        FieldKind.Number => field.Column,
        // A number compared with a time column means Unix milliseconds, as the API writes times.
        FieldKind.DateTime => $"toFloat64(toUnixTimestamp64Milli({field.Column}))",
        _ => field.TypedNumber ?? $"toFloat64OrNull({Text(field, parameters)})",
    };

    private static string Boolean(EventField field, QueryParameters parameters) => $"lower({Text(field, parameters)})";

    private static string DateTime(EventField field, QueryParameters parameters) => field.Kind switch
    {
        FieldKind.DateTime => field.Column,
        _ => $"parseDateTime64BestEffortOrNull({Text(field, parameters)}, 6, 'UTC')",
    };

    private static string Exists(EventField field, QueryParameters parameters) => field.Kind switch
    {
        FieldKind.String => $"{field.Column} != ''",
        // has_error is this very expression, stored (Schema/0006_events_typed_columns.sql).
        FieldKind.NullableString when field.Column == "error" => "has_error = 1",
        FieldKind.NullableString => $"ifNull({field.Column}, '') != ''",
        FieldKind.Number or FieldKind.DateTime => "1",
        _ when field.Path.Count == 0 => $"mapContains({field.Column}, {parameters.String(field.Key!)})",
        _ => $"JSONHas({field.Column}[{parameters.String(field.Key!)}], {string.Join(", ", field.Path.Select(parameters.String))})",
    };

    /// <summary>The JSON text of a bucket path: the map value for the key, JSONExtractRaw below it.</summary>
    private static string Raw(EventField field, QueryParameters parameters)
    {
        var value = $"{field.Column}[{parameters.String(field.Key!)}]";
        return field.Path.Count == 0 ? value : $"JSONExtractRaw({value}, {string.Join(", ", field.Path.Select(parameters.String))})";
    }

    private static string BucketText(string raw) => $"if(JSONType({raw}) = 'String', JSONExtractString({raw}), {raw})";

    private static string ResolveType(EventField field, string op, EventFilter filter)
    {
        var type = filter.Type?.Trim().ToLowerInvariant();
        if (type == "id") type = "string";
        if (type is not null and not "string" and not "number" and not "boolean" and not "datetime")
            throw ApiRequestException.BadRequest(field.Name, $"Unknown type '{filter.Type}': use string, number, boolean or datetime.");
        if (type is null)
        {
            type = op switch
            {
                "after" or "before" => "datetime",
                "greater than" or "less than" when field.Kind != FieldKind.DateTime => "number",
                _ => field.Kind switch
                {
                    FieldKind.Number => "number",
                    FieldKind.DateTime => "datetime",
                    _ => filter.Value.ValueKind switch
                    {
                        JsonValueKind.Number => "number",
                        JsonValueKind.True or JsonValueKind.False => "boolean",
                        _ => "string",
                    },
                },
            };
        }

        // A time column compared as a string would compare ClickHouse's text form; refuse instead.
        if (field.Kind == FieldKind.DateTime && type is "string" or "boolean")
            throw ApiRequestException.BadRequest(field.Name, $"{field.Name} is a datetime: filter it with type datetime or number (Unix ms).");
        return type;
    }

    private static string StringValue(EventField field, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw ApiRequestException.BadRequest(field.Name, "This operator needs a value."),
    };

    private static double NumberValue(EventField field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)) return number;
        if (value.ValueKind == JsonValueKind.String
            && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number)
            && double.IsFinite(number))
            return number;
        throw ApiRequestException.BadRequest(field.Name, "The value must be a number.");
    }

    private static string BooleanValue(EventField field, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b ? "true" : "false",
        _ => throw ApiRequestException.BadRequest(field.Name, "The value must be true or false."),
    };

    private static DateTimeOffset TimeValue(EventField field, JsonElement value) =>
        TimeParsing.Parse(value) ?? throw ApiRequestException.BadRequest(field.Name, "The value must be an ISO 8601 time or Unix milliseconds.");
}
