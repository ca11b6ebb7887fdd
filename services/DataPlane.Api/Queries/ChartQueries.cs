using System.Globalization;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>Query parameters of <c>GET /v1/events/chart</c> (legacy spec); filters and dateRange as JSON text.</summary>
public sealed record ChartRequest(
    string? DateRange, string? Filters, string? Metric, string? GroupBy, string? Bucket, string? Aggregation, string? EvaluationId);

/// <summary>One point: a time bucket (Unix ms), a group value ('' without groupBy), the aggregate, and how many events fed it.</summary>
public sealed record ChartPoint(long Timestamp, string Group, double? Value, long Count);

/// <summary>Time-bucketed aggregates of a metric over current events, optionally grouped by a field.</summary>
public sealed class ChartQueries(IAnalyticsStore store)
{
    public const int MaxPoints = 10_000;

    /// <param name="defaultFrom">Where the range starts when the request names neither dateRange nor evaluation_id (see EventSearch.From).</param>
    public async Task<IReadOnlyList<ChartPoint>> ChartAsync(Guid project, ChartRequest request, CancellationToken cancellationToken, DateTimeOffset? defaultFrom = null)
    {
        var parameters = new QueryParameters(project);
        var metric = EventField.Resolve(request.Metric is { Length: > 0 } m ? m : "duration", "metric");
        var aggregate = Aggregate(request.Aggregation);
        var bucket = Bucket(request.Bucket);
        var group = request.GroupBy is { Length: > 0 } g ? FilterCompiler.Text(EventField.Resolve(g, "groupBy"), parameters) : "''";
        var (from, to) = EventSearch.ParseDateRange(request.DateRange is null ? default : JsonSerializer.SerializeToElement(request.DateRange));
        if (request.DateRange is null && string.IsNullOrEmpty(request.EvaluationId)) from = defaultFrom;
        var filters = ParseFilters(request.Filters);
        if (!string.IsNullOrEmpty(request.EvaluationId))
            filters.Add(new EventFilter("metadata.run_id", "is", JsonSerializer.SerializeToElement(request.EvaluationId), "string"));

        var condition = FilterCompiler.Compile(filters, parameters);
        var scope = new EventScope { From = from, To = to };
        // FINAL over events, not over events_by_time: measured at 1M events (`bench query --sql`, machine at load 12-17)
        // the whole-range chart took 387 ms median on events and 590 ms on events_by_time, whose FINAL reads as many
        // key columns and must also check session revisions (TimeOrderedEvents.Current); 7 days 727 against 528 ms.
        var current = CurrentEvents.Select(
            $"event_id, start_time, {FilterCompiler.Number(metric, parameters)} AS m, {group} AS g",
            scope, condition, parameters) + CurrentEvents.OnePerEvent(scope);
        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            SELECT toInt64(toUnixTimestamp(toDateTime({bucket}, 'UTC'))) * 1000 AS t, toString(g) AS grp, {aggregate} AS value, count() AS n
            FROM ({current})
            GROUP BY t, grp
            ORDER BY t, grp
            LIMIT {MaxPoints}
            """);
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        return rows.Select(r => new ChartPoint(
            EventRowJson.ReadInt64(r.GetProperty("t")),
            r.GetProperty("grp").GetString() ?? "",
            r.GetProperty("value").ValueKind == JsonValueKind.Null ? null : EventRowJson.ReadDouble(r.GetProperty("value")),
            EventRowJson.ReadInt64(r.GetProperty("n")))).ToList();
    }

    /// <summary>
    /// One aggregate of <paramref name="metric"/> over the current events of the project in [<paramref name="from"/>,
    /// <paramref name="to"/>) that pass <paramref name="filters"/>: the chart's SQL without buckets (the alert engine's
    /// windows). Count is the events the aggregate saw: every matching event for COUNT, those with a numeric metric
    /// otherwise (an event without the metric does not move an average, so it does not count towards a sample either).
    /// Value is null when that count is 0 (ClickHouse's min of nothing is 0, its average NaN).
    /// </summary>
    public async Task<(double? Value, long Count)> AggregateAsync(
        Guid project, IReadOnlyList<EventFilter> filters, string? metric, string aggregation, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters(project);
        var aggregate = Aggregate(aggregation);
        var counting = aggregate == CountAggregate;
        var field = EventField.Resolve(metric is { Length: > 0 } m ? m : "duration", "metric");
        var condition = FilterCompiler.Compile(filters, parameters);
        // The scope's end is inclusive; a window's is not, so consecutive windows never share an event.
        var scope = new EventScope { From = from, To = to.AddTicks(-10) };
        var current = CurrentEvents.Select($"{FilterCompiler.Number(field, parameters)} AS m", scope, condition, parameters);
        var sql = $"""
            SELECT {aggregate} AS value, {(counting ? "count()" : "count(m)")} AS n
            FROM ({current})
            """;
        var rows = await store.QueryAsync(sql, parameters.Values, cancellationToken);
        if (rows.Count == 0) return (null, 0);
        var count = EventRowJson.ReadInt64(rows[0].GetProperty("n"));
        var value = rows[0].GetProperty("value");
        return count == 0 || value.ValueKind == JsonValueKind.Null ? (null, count) : (EventRowJson.ReadDouble(value), count);
    }

    private const string CountAggregate = "toFloat64(count())";

    internal static List<EventFilter> ParseFilters(string? filters)
    {
        if (string.IsNullOrWhiteSpace(filters)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<EventFilter>>(filters) ?? [];
        }
        catch (JsonException)
        {
            throw ApiRequestException.BadRequest("filters", "filters is a JSON array of {field, operator, value, type}.");
        }
    }

    private static string Aggregate(string? aggregation) => (aggregation ?? "average").ToLowerInvariant() switch
    {
        "avg" or "average" or "mean" => "avg(m)",
        "sum" => "sum(m)",
        "min" => "min(m)",
        "max" => "max(m)",
        "count" => CountAggregate,
        "median" or "p50" => "quantile(0.5)(m)",
        "p75" => "quantile(0.75)(m)",
        "p90" => "quantile(0.9)(m)",
        "p95" => "quantile(0.95)(m)",
        "p99" => "quantile(0.99)(m)",
        _ => throw ApiRequestException.BadRequest("aggregation", "aggregation is one of avg, average, mean, sum, min, max, count, median, p50, p75, p90, p95, p99."),
    };

    private static string Bucket(string? bucket) => (bucket ?? "hour") switch
    {
        "minute" or "minutes" or "1m" => "toStartOfMinute(start_time)",
        "hour" or "hours" or "1h" => "toStartOfHour(start_time)",
        "day" or "days" or "1d" => "toStartOfDay(start_time)",
        "week" or "weeks" or "1w" => "toStartOfWeek(start_time, 1)",
        "month" or "months" or "1M" => "toStartOfMonth(start_time)",
        _ => throw ApiRequestException.BadRequest("bucket", "bucket is one of minute, hour, day, week, month (or 1m, 1h, 1d, 1w, 1M)."),
    };
}
