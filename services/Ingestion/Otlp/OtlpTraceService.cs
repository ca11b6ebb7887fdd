using System.Diagnostics.Metrics;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>
/// The one OTLP trace service behind both adapters (gRPC and HTTP): normalize every span, publish
/// the accepted ones durably, report the refused ones in partial_success.
/// </summary>
public sealed class OtlpTraceService
{
    private readonly EventBatchPublisher publisher;
    private readonly IngestLimits limits;
    private readonly Counter<long> accepted;
    private readonly Counter<long> rejected;

    public OtlpTraceService(EventBatchPublisher publisher, IngestLimits limits, IMeterFactory meters)
    {
        this.publisher = publisher;
        this.limits = limits;
        var meter = meters.Create(ServiceDefaultsExtensions.TelemetryName);
        accepted = meter.CreateCounter<long>("honeyhive.ingestion.spans.accepted", "{span}", "Spans published to the event stream");
        rejected = meter.CreateCounter<long>("honeyhive.ingestion.spans.rejected", "{span}", "Spans refused and reported in partial_success");
    }

    public async Task<ExportTraceServiceResponse> ExportAsync(ExportTraceServiceRequest request, Tenant tenant, CancellationToken cancellationToken)
    {
        // Each event is written into the batch as it is normalized; only its JSON outlives the loop.
        using var events = new EventJsonBatch();
        long refused = 0;
        string? firstReason = null;
        var seen = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        foreach (var scopeSpans in resourceSpans.ScopeSpans)
        foreach (var span in scopeSpans.Spans)
        {
            if (++seen > limits.MaxSpansPerRequest)
            {
                refused++;
                firstReason ??= $"the request has more than {limits.MaxSpansPerRequest} spans; send the rest in another request";
                continue;
            }
            var normalized = SpanNormalizer.Normalize(resourceSpans.Resource, scopeSpans.Scope, span, tenant, limits);
            if (normalized.Event is { } record)
            {
                using (record) events.Add(record);
            }
            else
            {
                refused++;
                firstReason ??= normalized.Rejection;
            }
        }

        await publisher.PublishAsync(tenant.ProjectId, events, cancellationToken);
        accepted.Add(events.Count);

        var response = new ExportTraceServiceResponse();
        if (refused > 0)
        {
            rejected.Add(refused);
            response.PartialSuccess = new ExportTracePartialSuccess
            {
                RejectedSpans = refused,
                ErrorMessage = $"{refused} span(s) rejected; first: {firstReason}",
            };
        }
        return response;
    }
}
