using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults.Quotas;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Quotas;

/// <summary>
/// The project quota as ingestion applies it: every span, log record or event of a request counts, and a request is
/// admitted whole or refused whole before anything of it is published. All or nothing because an exporter retries the
/// whole batch after a 429: accepting part of it would store that part twice (or make the exporter split batches it
/// cannot tell apart), while a refused batch loses nothing: nothing was published, and what was acknowledged before
/// stays acknowledged.
/// </summary>
public sealed class IngestionQuota(RedisQuotaLimiter limiter, IngestLimits limits)
{
    public Task<QuotaDecision> AdmitAsync(Tenant tenant, long items, CancellationToken cancellationToken) =>
        limiter.AdmitIngestAsync(Guid.Parse(tenant.ProjectId), items, cancellationToken);

    /// <summary>Spans the trace service may accept from this request (those over the per-request cap are refused anyway).</summary>
    public long Count(ExportTraceServiceRequest request)
    {
        long spans = 0;
        foreach (var resource in request.ResourceSpans)
        foreach (var scope in resource.ScopeSpans)
            spans += scope.Spans.Count;
        return Math.Min(spans, limits.MaxSpansPerRequest);
    }

    /// <summary>Log records the logs service may accept from this request.</summary>
    public long Count(ExportLogsServiceRequest request)
    {
        long records = 0;
        foreach (var resource in request.ResourceLogs)
        foreach (var scope in resource.ScopeLogs)
            records += scope.LogRecords.Count;
        return Math.Min(records, limits.MaxSpansPerRequest);
    }
}
