using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HoneyHive.Platform.Analytics.Chdb;

/// <summary>
/// Turns .NET values into the text ClickHouse expects for a query parameter (the same text the
/// HTTP interface takes in <c>param_name</c>). ClickHouse reads a top-level value in its
/// "escaped" text form (backslash escapes; a raw tab or newline ends the value) and values
/// nested in arrays and maps in quoted form. The engine binds the value to the
/// <c>{name:Type}</c> placeholder; nothing is spliced into SQL.
/// </summary>
internal static class ChdbParameterFormatter
{
    public static List<KeyValuePair<string, string>>? Format(IReadOnlyDictionary<string, object?>? parameters)
    {
        if (parameters is null || parameters.Count == 0) return null;
        var result = new List<KeyValuePair<string, string>>(parameters.Count);
        foreach (var (name, value) in parameters)
            result.Add(new(AnalyticsNames.Parameter(name), FormatTopLevel(value)));
        return result;
    }

    private static string FormatTopLevel(object? value) => value switch
    {
        null => "\\N",
        string s => Escape(s, quote: false),
        JsonElement { ValueKind: JsonValueKind.String } json => Escape(json.GetString()!, quote: false),
        _ when IsScalar(value) => FormatScalar(value),
        // Arrays and maps are read in their quoted form, whose strings are already escaped.
        _ => FormatNested(value),
    };

    private static string FormatNested(object? value)
    {
        switch (value)
        {
            case null:
                return "NULL";
            case string s:
                return "'" + Escape(s, quote: true) + "'";
            case JsonElement json:
                return FormatJson(json);
            case IDictionary dictionary:
            {
                var builder = new StringBuilder("{");
                var first = true;
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (!first) builder.Append(',');
                    first = false;
                    builder.Append(FormatNested(entry.Key)).Append(':').Append(FormatNested(entry.Value));
                }

                return builder.Append('}').ToString();
            }

            case IEnumerable sequence when !IsScalar(value):
            {
                var builder = new StringBuilder("[");
                var first = true;
                foreach (var item in sequence)
                {
                    if (!first) builder.Append(',');
                    first = false;
                    builder.Append(FormatNested(item));
                }

                return builder.Append(']').ToString();
            }

            default:
            {
                var scalar = FormatScalar(value);
                return value is DateTime or DateTimeOffset or DateOnly or Guid or Enum ? "'" + scalar + "'" : scalar;
            }
        }
    }

    private static string FormatJson(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => "'" + Escape(json.GetString()!, quote: true) + "'",
        JsonValueKind.Number => json.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => "NULL",
        JsonValueKind.Array => "[" + string.Join(',', json.EnumerateArray().Select(FormatJson)) + "]",
        _ => "{" + string.Join(',', json.EnumerateObject().Select(p => "'" + Escape(p.Name, quote: true) + "':" + FormatJson(p.Value))) + "}",
    };

    private static bool IsScalar(object value) => value is string or bool or byte or sbyte or short or ushort or int or uint
        or long or ulong or float or double or decimal or DateTime or DateTimeOffset or DateOnly or Guid or Enum
        or JsonElement { ValueKind: not (JsonValueKind.Array or JsonValueKind.Object) };

    private static string FormatScalar(object value) => value switch
    {
        bool b => b ? "true" : "false",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTime dt => (dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt)
            .ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Guid g => g.ToString("D"),
        Enum e => e.ToString(),
        JsonElement json => json.ValueKind switch
        {
            JsonValueKind.Number => json.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => "\\N",
        },
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"No ClickHouse text form for a parameter of type {value.GetType()}."),
    };

    /// <summary>Backslash-escapes a string; inside quotes the quote character is escaped too.</summary>
    private static string Escape(string value, bool quote)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\t': builder.Append("\\t"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\0': builder.Append("\\0"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\'' when quote: builder.Append("\\'"); break;
                default: builder.Append(c); break;
            }
        }

        return builder.ToString();
    }
}
