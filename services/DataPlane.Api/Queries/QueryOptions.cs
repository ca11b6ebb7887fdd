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

    /// <summary>Largest page of the session list.</summary>
    public int SessionMaxLimit { get; set; } = 1000;
}
