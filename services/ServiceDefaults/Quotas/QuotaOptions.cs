namespace HoneyHive.ServiceDefaults.Quotas;

/// <summary>
/// Configuration section <c>Quotas</c>: the defaults every project and API key gets unless the CP sets an override for
/// the project (PUT /v1/projects/{project_id}/quotas, synced to dpdb). Zero means no limit of that kind.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    /// <summary>
    /// Spans, log records and events one project may ingest per second, counted per item (a request of 500 spans takes
    /// 500). 100,000 by default: above what one Host ingests on a 2-core machine (about 46,000 spans/s, bench/README), so
    /// the default only stops a runaway and an operator sets the real figure per deployment or per project.
    /// </summary>
    public long IngestSpansPerSecond { get; set; } = 100_000;

    /// <summary>
    /// How many seconds of <see cref="IngestSpansPerSecond"/> a project may send at once after a quiet spell (the token
    /// bucket's size). Exporters send in batches every few seconds, so a bucket of one second would refuse ordinary bursts.
    /// </summary>
    public double IngestBurstSeconds { get; set; } = 2;

    /// <summary>Items one project may ingest per UTC day; 0 (the default) is no daily limit.</summary>
    public long IngestSpansPerDay { get; set; }

    /// <summary>
    /// Requests one API key (or one signed-in user's token) may make per minute to the DP API's query and management routes,
    /// with bursts up to a minute's worth. Ingestion routes are counted by items instead.
    /// </summary>
    public long ApiRequestsPerMinute { get; set; } = 30_000;

    /// <summary>How long a project's overrides read from dpdb are kept in memory: an override set on the CP applies within the sync interval plus this.</summary>
    public TimeSpan OverrideCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (IngestSpansPerSecond < 0 || IngestSpansPerDay < 0 || ApiRequestsPerMinute < 0)
            throw new InvalidOperationException("Quotas: IngestSpansPerSecond, IngestSpansPerDay and ApiRequestsPerMinute must be 0 (no limit) or positive.");
        if (IngestBurstSeconds < 0.001 || IngestBurstSeconds > 3600)
            throw new InvalidOperationException("Quotas: IngestBurstSeconds must be between 0.001 and 3600.");
        if (OverrideCacheDuration < TimeSpan.Zero)
            throw new InvalidOperationException("Quotas: OverrideCacheDuration must not be negative.");
    }
}

/// <summary>The limits in force for one project: its overrides where set, the configured defaults elsewhere (0 = none).</summary>
public sealed record ProjectLimits(long IngestSpansPerSecond, long IngestSpansPerDay, long ApiRequestsPerMinute);

/// <summary>The kinds of limit, as named in answers, metrics and the project settings route.</summary>
public static class QuotaLimits
{
    public const string IngestSpansPerSecond = "ingest_spans_per_second";
    public const string IngestSpansPerDay = "ingest_spans_per_day";
    public const string ApiRequestsPerMinute = "api_requests_per_minute";
}
