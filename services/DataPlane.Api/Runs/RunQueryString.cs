using System.Globalization;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>Reads the run routes' query strings by hand, so a bad value answers 400 naming its parameter.</summary>
public static class RunQueryString
{
    /// <summary>A run id from a path or query: the spec's UUID.</summary>
    public static Guid RunId(string? value, string name) =>
        Guid.TryParse(value, out var id) ? id : throw ApiRequestException.BadRequest(name, $"{name} is a UUID.");

    public static RunListQuery List(IQueryCollection query, int maxLimit)
    {
        var (page, limit) = Page(query, 20, maxLimit);
        var status = Text(query, "status");
        if (status is not null && !Run.Statuses.Contains(status))
            throw ApiRequestException.BadRequest("status", "status is one of pending, completed, failed, cancelled, running.");
        var sortBy = Text(query, "sort_by") ?? "created_at";
        if (!RunStore.SortColumns.TryGetValue(sortBy, out var column))
            throw ApiRequestException.BadRequest("sort_by", "sort_by is one of created_at, updated_at, name, status.");
        var order = Text(query, "sort_order") ?? "desc";
        if (order is not "asc" and not "desc") throw ApiRequestException.BadRequest("sort_order", "sort_order is asc or desc.");
        var (from, to) = DateRange(query);
        return new RunListQuery(Text(query, "dataset_id"), RunIds(query), Text(query, "name"), status, from, to, column, order == "desc", page, limit);
    }

    /// <summary><c>page</c> (from 1) and <c>limit</c> (1 to <paramref name="maxLimit"/>).</summary>
    public static (int Page, int Limit) Page(IQueryCollection query, int defaultLimit, int maxLimit)
    {
        var limit = defaultLimit;
        if (Text(query, "limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
            throw ApiRequestException.BadRequest("limit", $"limit is an integer between 1 and {maxLimit}.");
        var page = 1;
        if (Text(query, "page") is { } p && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1 || page > 1_000_000))
            throw ApiRequestException.BadRequest("page", "page is an integer from 1.");
        return (page, limit);
    }

    /// <summary><c>dateRange</c> as JSON text: <c>{$gte, $lte}</c> or <c>{start_time, end_time}</c>.</summary>
    public static (DateTimeOffset? From, DateTimeOffset? To) DateRange(IQueryCollection query) =>
        Text(query, "dateRange") is { } range ? EventSearch.ParseDateRange(JsonSerializer.SerializeToElement(range)) : (null, null);

    /// <summary>Filters as JSON text: an array of <c>{field, operator, value, type}</c> or one such object.</summary>
    public static IReadOnlyList<EventFilter> Filters(IQueryCollection query, string name)
    {
        var text = Text(query, name);
        if (text is null) return [];
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var filters = root.ValueKind switch
            {
                JsonValueKind.Array => root.Deserialize<List<EventFilter>>() ?? [],
                JsonValueKind.Object when root.EnumerateObject().Any() => [root.Deserialize<EventFilter>()!],
                JsonValueKind.Object => [],
                _ => throw ApiRequestException.BadRequest(name, $"{name} is a JSON array of {{field, operator, value, type}}."),
            };
            // Compiling once here turns an unknown field or operator into a 400 before any query runs.
            FilterCompiler.Compile(filters, new QueryParameters(Guid.Empty));
            return filters;
        }
        catch (JsonException)
        {
            throw ApiRequestException.BadRequest(name, $"{name} is a JSON array of {{field, operator, value, type}}.");
        }
    }

    /// <summary><c>run_ids</c> repeated or comma-separated.</summary>
    private static List<Guid>? RunIds(IQueryCollection query)
    {
        var values = query["run_ids"].Concat(query["run_ids[]"])
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        if (values.Count == 0) return null;
        if (values.Count > 1000) throw ApiRequestException.BadRequest("run_ids", "run_ids lists at most 1000 ids.");
        return [.. values.Select(v => RunId(v, "run_ids"))];
    }

    private static string? Text(IQueryCollection query, string name) =>
        query[name].ToString() is { Length: > 0 } value ? value : null;
}
