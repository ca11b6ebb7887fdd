using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.ServiceDefaults.Quotas;

namespace HoneyHive.Ingestion.Quotas;

/// <summary>
/// A quota refusal as OTLP says a throttled export is answered: RESOURCE_EXHAUSTED with RetryInfo (the exporter waits
/// that long before retrying), and ErrorInfo naming the limit and the project for whoever reads the exporter's log.
/// Sent as the body of the HTTP 429 and as the gRPC status.
/// </summary>
public static class OtlpQuotaStatus
{
    public const string Domain = "honeyhive.ai";

    public static Google.Rpc.Status From(QuotaDecision quota, Tenant tenant) => new()
    {
        Code = (int)Code.ResourceExhausted,
        Message = quota.Describe(Guid.Parse(tenant.ProjectId)),
        Details =
        {
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(quota.Seconds)) }),
            Any.Pack(new ErrorInfo { Reason = "QUOTA_EXCEEDED", Domain = Domain, Metadata = { ["limit"] = quota.Limit, ["project_id"] = tenant.ProjectId } }),
        },
    };
}
