using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A filterable field seen in the project: its path, the event type carrying it, and the JSON type seen.</summary>
public sealed record SchemaField(string Name, string EventType, string Type, long Occurrences);

/// <summary>The field catalogue for filter pickers, from <c>event_schemas</c> (bucket paths) plus the top-level columns.</summary>
public sealed class SchemaQueries(IAnalyticsStore store)
{
    public async Task<IReadOnlyList<SchemaField>> FieldsAsync(Guid project, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        // A date range keeps the fields seen inside it.
        var having = "1";
        if (from is { } f) having += " AND max(last_seen) >= " + parameters.Time(f);
        if (to is { } t) having += " AND min(first_seen) <= " + parameters.Time(t);
        var sql = $"""
            SELECT event_type, field, field_type, sum(occurrences) AS n
            FROM event_schemas
            WHERE project_id = {QueryParameters.Project}
            GROUP BY event_type, field, field_type
            HAVING {having}
            ORDER BY event_type, field, field_type
            LIMIT 100000
            """;
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        var types = new HashSet<string>(StringComparer.Ordinal);
        var fields = new List<SchemaField>(rows.Count);
        foreach (var row in rows)
        {
            var eventType = row.GetProperty("event_type").GetString()!;
            types.Add(eventType);
            fields.Add(new SchemaField(row.GetProperty("field").GetString()!, eventType, FieldType(row.GetProperty("field_type").GetString()),
                EventRowJson.ReadInt64(row.GetProperty("n"))));
        }

        // Top-level columns exist on every event type seen.
        foreach (var eventType in types)
            foreach (var (column, kind) in EventField.Columns)
                fields.Add(new SchemaField(column, eventType, kind switch
                {
                    FieldKind.Number => "number",
                    FieldKind.DateTime => "datetime",
                    _ => "string",
                }, 0));
        return fields;
    }

    /// <summary>ClickHouse's JSONType names mapped to the filter types.</summary>
    private static string FieldType(string? jsonType) => jsonType switch
    {
        "Int64" or "UInt64" or "Double" => "number",
        "Bool" => "boolean",
        "String" => "string",
        "Array" => "array",
        "Object" => "object",
        _ => "null",
    };

    public static object Response(IReadOnlyList<SchemaField> fields) => new Dictionary<string, object>
    {
        ["fields"] = fields.Select(f => new Dictionary<string, object>
        {
            ["name"] = f.Name, ["event_type"] = f.EventType, ["type"] = f.Type, ["occurrences"] = f.Occurrences,
        }).ToList(),
        ["datasets"] = Array.Empty<string>(),
        ["mappings"] = new Dictionary<string, object>(),
    };
}
