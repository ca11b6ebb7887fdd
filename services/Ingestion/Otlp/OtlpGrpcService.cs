using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using HoneyHive.Ingestion.Auth;
using HoneyHive.Ingestion.Backpressure;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Quotas;
using HoneyHive.Platform.Messaging;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.ServiceDefaults.Quotas;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>OTLP/gRPC TraceService.Export: a thin adapter over <see cref="OtlpTraceService"/>.</summary>
public sealed class OtlpGrpcService(
    OtlpTraceService service,
    IngestAuthenticator authenticator,
    IngestionBackpressure backpressure,
    IngestionQuota quota) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context) =>
        OtlpGrpcExport.RunAsync(authenticator, backpressure, context,
            tenant => quota.AdmitAsync(tenant, quota.Count(request), context.CancellationToken),
            tenant => service.ExportAsync(request, tenant, context.CancellationToken));
}

/// <summary>OTLP/gRPC LogsService.Export: a thin adapter over <see cref="OtlpLogsService"/>.</summary>
public sealed class OtlpGrpcLogsService(
    OtlpLogsService service,
    IngestAuthenticator authenticator,
    IngestionBackpressure backpressure,
    IngestionQuota quota) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context) =>
        OtlpGrpcExport.RunAsync(authenticator, backpressure, context,
            tenant => quota.AdmitAsync(tenant, quota.Count(request), context.CancellationToken),
            tenant => service.ExportAsync(request, tenant, context.CancellationToken));
}

/// <summary>What every OTLP/gRPC export does around its service: credentials, back-pressure, the project's quota, and the status codes of refusals.</summary>
internal static class OtlpGrpcExport
{
    public static async Task<TResponse> RunAsync<TResponse>(
        IngestAuthenticator authenticator, IngestionBackpressure backpressure, ServerCallContext context,
        Func<Tenant, Task<QuotaDecision>> admit, Func<Tenant, Task<TResponse>> export)
    {
        var auth = await authenticator.AuthenticateAsync(
            context.RequestHeaders.GetValue("authorization"), context.RequestHeaders.GetValue(DataPlaneAuthenticator.ProjectHeader), context.CancellationToken);
        if (auth.Unavailable) throw RetryLater(Code.Unavailable, auth.Problem!, KeyDirectoryUnavailableException.RetryAfter);
        if (auth.Tenant is not { } tenant)
        {
            throw new RpcException(new Grpc.Core.Status(auth.Status switch
            {
                StatusCodes.Status403Forbidden => StatusCode.PermissionDenied,
                StatusCodes.Status404NotFound => StatusCode.NotFound,
                StatusCodes.Status400BadRequest => StatusCode.InvalidArgument,
                _ => StatusCode.Unauthenticated,
            }, auth.Problem!));
        }

        var state = backpressure.Current;
        if (!state.Accepting)
        {
            throw RetryLater(state.LogUnavailable ? Code.Unavailable : Code.ResourceExhausted, state.Reason!, state.RetryAfter);
        }

        var quota = await admit(tenant);
        if (!quota.Admitted) throw OtlpQuotaStatus.From(quota, tenant).ToRpcException();

        try
        {
            return await export(tenant);
        }
        catch (MessageLogUnavailableException ex)
        {
            throw RetryLater(Code.Unavailable, ex.Message, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>The status with RetryInfo, which OTLP exporters read to decide that and when to retry.</summary>
    private static RpcException RetryLater(Code code, string reason, TimeSpan delay) =>
        new Google.Rpc.Status
        {
            Code = (int)code,
            Message = reason + " Retry later.",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }) },
        }.ToRpcException();
}
