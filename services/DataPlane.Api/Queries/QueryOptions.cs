namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>Configuration section <c>Queries</c>.</summary>
public sealed class QueryOptions
{
    /// <summary>Largest page of <c>/v1/events/search</c> (the spec's maximum).</summary>
    public int SearchMaxLimit { get; set; } = 1000;

    /// <summary>Largest <c>limit</c> an export accepts; exports stream, so this is a policy, not a memory bound.</summary>
    public int ExportMaxLimit { get; set; } = 10_000_000;

    /// <summary>Rows per query while an export streams: the memory an export holds at once.</summary>
    public int ExportChunkSize { get; set; } = 2000;

    /// <summary>Most events a trace tree returns.</summary>
    public int MaxTreeEvents { get; set; } = 100_000;

    /// <summary>
    /// A search's total is counted exactly (FINAL over the scope) while the scope holds at most this many stored rows,
    /// and estimated above it (<see cref="EventQueries.TotalAsync"/>): FINAL's cost follows the rows in scope.
    /// </summary>
    public long ExactCountMaxRows { get; set; } = 100_000;

    /// <summary>
    /// How far back the event routes (search, GET /events, export, chart) read when the request names no dateRange
    /// (nor an evaluation_id): the last 7 days, as HoneyHive's peers default.
    /// </summary>
    public int DefaultRangeDays { get; set; } = 7;

    /// <summary>The start of the default range at <paramref name="now"/>.</summary>
    public DateTimeOffset DefaultFrom(DateTimeOffset now) => now.AddDays(-DefaultRangeDays);

    /// <summary>Largest page of the session list.</summary>
    public int SessionMaxLimit { get; set; } = 1000;
}
