using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

public sealed record SortRequest(
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("order")] string? Order);

/// <summary>
/// Ordering and keyset pagination. The cursor is the last row's sort value and event_id; the next
/// page asks for rows strictly after that pair, so pages stay stable while new events arrive.
/// </summary>
public sealed record EventSort(string Field, FieldKind Kind, bool Descending)
{
    private static readonly string[] Sortable = ["start_time", "end_time", "duration", "event_name", "event_type", "source", "session_id"];

    public static readonly EventSort Default = new("start_time", FieldKind.DateTime, true);

    public static EventSort From(SortRequest? request)
    {
        if (request?.Field is null) return Default;
        if (!Sortable.Contains(request.Field, StringComparer.Ordinal))
            throw ApiRequestException.BadRequest(request.Field, "Sort by one of: " + string.Join(", ", Sortable) + ".");
        var descending = request.Order?.ToLowerInvariant() switch
        {
            null or "desc" or "descending" or "-1" => true,
            "asc" or "ascending" or "1" => false,
            _ => throw ApiRequestException.BadRequest("sort.order", "Order is asc or desc."),
        };
        return new EventSort(request.Field, EventField.Columns[request.Field], descending);
    }

    private string Direction => Descending ? "DESC" : "ASC";

    public string OrderBy => $"{Field} {Direction}, event_id {Direction}";

    /// <summary>The row's sort value as text, read back into the cursor.</summary>
    public string ValueColumn => Kind switch
    {
        FieldKind.DateTime => $"toString(toUnixTimestamp64Micro({Field})) AS sort_value",
        FieldKind.Number => $"toString({Field}) AS sort_value",
        _ => $"toString({Field}) AS sort_value",
    };

    public string After(Cursor cursor, QueryParameters parameters)
    {
        var comparison = Descending ? "<" : ">";
        var value = Kind switch
        {
            FieldKind.DateTime => $"fromUnixTimestamp64Micro({parameters.Int(long.Parse(cursor.Value, CultureInfo.InvariantCulture))}, 'UTC')",
            FieldKind.Number => parameters.Float(double.Parse(cursor.Value, CultureInfo.InvariantCulture)),
            _ => parameters.String(cursor.Value),
        };
        return $"({Field}, event_id) {comparison} ({value}, {parameters.String(cursor.EventId)})";
    }

    public Cursor CursorOf(JsonElement row) =>
        new(Field, Descending, row.GetProperty("sort_value").GetString()!, row.GetProperty("event_id").GetString()!);

    public Cursor Parse(string text)
    {
        Cursor? cursor = null;
        try
        {
            cursor = JsonSerializer.Deserialize<Cursor>(Base64Url.DecodeFromChars(text));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        if (cursor is null || cursor.Field != Field || cursor.Descending != Descending || cursor.EventId is null || cursor.Value is null
            || (Kind == FieldKind.DateTime && !long.TryParse(cursor.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            || (Kind == FieldKind.Number && !double.TryParse(cursor.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            throw ApiRequestException.BadRequest("cursor", "The cursor is malformed or belongs to a different sort order.");
        return cursor;
    }
}

public sealed record Cursor(
    [property: JsonPropertyName("f")] string Field,
    [property: JsonPropertyName("d")] bool Descending,
    [property: JsonPropertyName("v")] string Value,
    [property: JsonPropertyName("id")] string EventId)
{
    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));
}
