using System.Globalization;
using System.Text.Json;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// The query string of the legacy <c>GET /events</c> (getEvents): dateRange, filters and projections
/// as JSON text (projections also as repeated values or a comma list), limit and page as text,
/// ignore_order and evaluation_id. Turned into the same request the search route takes, so the
/// same validation and limits apply.
/// </summary>
public static class LegacyEventQuery
{
    public static EventSearchRequest Parse(
        string? dateRange, string? filters, string[]? projections, string? ignoreOrder, string? limit, string? page, string? evaluationId) => new()
    {
        DateRange = dateRange is null ? default : JsonSerializer.SerializeToElement(dateRange),
        Filters = ChartQueries.ParseFilters(filters),
        Projections = Projections(projections),
        Limit = Number(limit, "limit"),
        Page = Number(page, "page"),
        IgnoreOrder = ignoreOrder is null ? null
            : bool.TryParse(ignoreOrder, out var ignore) ? ignore
            : throw ApiRequestException.BadRequest("ignore_order", "ignore_order is true or false."),
        EvaluationId = evaluationId,
    };

    /// <summary>More field names than an event has keys is a mistake, not a projection.</summary>
    public const int MaxProjections = 200;

    private static List<string>? Projections(string[]? values)
    {
        if (values is null || values.Length == 0) return null;
        var list = ParseProjections(values);
        return list is { Count: > MaxProjections }
            ? throw ApiRequestException.BadRequest("projections", $"projections names at most {MaxProjections} fields.")
            : list;
    }

    private static List<string>? ParseProjections(string[] values)
    {
        if (values is [var single] && single.TrimStart().StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<List<string>>(single);
            }
            catch (JsonException)
            {
                throw ApiRequestException.BadRequest("projections", "projections is a JSON array of field names, or field names separated by commas.");
            }
        }

        return [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
    }

    /// <summary>Digits only; EventSearch then checks the range and names the field.</summary>
    private static double? Number(string? text, string name) =>
        text is null ? null
        : double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw ApiRequestException.BadRequest(name, $"{name} is a whole number from 1.");
}
