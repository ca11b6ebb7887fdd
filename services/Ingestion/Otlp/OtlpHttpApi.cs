using System.Buffers;
using System.IO.Pipelines;
using CommunityToolkit.HighPerformance.Buffers;
using System.IO.Compression;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using HoneyHive.Ingestion.Auth;
using HoneyHive.Ingestion.Backpressure;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Quotas;
using HoneyHive.Platform.Messaging;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.ServiceDefaults.Quotas;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Ingestion.Otlp;

/// <summary>
/// OTLP/HTTP: POST /v1/traces and /v1/logs (and under /opentelemetry on the API port), protobuf or JSON,
/// optionally gzip. Every answer is encoded like the request; failures carry a google.rpc.Status
/// as the specification requires. That is why refusals here are written in place rather than thrown
/// as <c>ApiRequestException</c>: the one problem-details handler answers JSON problem details, which an
/// OTLP exporter (often speaking protobuf) cannot read.
/// </summary>
public static class OtlpHttpApi
{
    private const string Protobuf = "application/x-protobuf";
    private const string Json = "application/json";

    public static void MapOtlpHttp(this IEndpointRouteBuilder app)
    {
        // OTLP answers refused credentials with a google.rpc.Status, so each export checks the permission itself.
        app.MapPost("/v1/traces", ExportTracesAsync).DisableAntiforgery().PermissionCheckedByHandler(Permissions.EventsIngest);
        app.MapPost("/opentelemetry/v1/traces", ExportTracesAsync).DisableAntiforgery().PermissionCheckedByHandler(Permissions.EventsIngest);
        app.MapPost("/v1/logs", ExportLogsAsync).DisableAntiforgery().PermissionCheckedByHandler(Permissions.EventsIngest);
        app.MapPost("/opentelemetry/v1/logs", ExportLogsAsync).DisableAntiforgery().PermissionCheckedByHandler(Permissions.EventsIngest);
    }

    private static Task ExportTracesAsync(
        HttpContext context, IngestAuthenticator authenticator, IngestionBackpressure backpressure, IngestionQuota quota, OtlpTraceService service, IngestLimits limits) =>
        ExportAsync(context, authenticator, backpressure, limits, Signal.Traces,
            (body, json) => json ? OtlpJson.ParseTraces(body) : ExportTraceServiceRequest.Parser.ParseFrom(body),
            (request, tenant, cancellationToken) => quota.AdmitAsync(tenant, quota.Count(request), cancellationToken),
            service.ExportAsync);

    private static Task ExportLogsAsync(
        HttpContext context, IngestAuthenticator authenticator, IngestionBackpressure backpressure, IngestionQuota quota, OtlpLogsService service, IngestLimits limits) =>
        ExportAsync(context, authenticator, backpressure, limits, Signal.Logs,
            (body, json) => json ? OtlpJson.ParseLogs(body) : ExportLogsServiceRequest.Parser.ParseFrom(body),
            (request, tenant, cancellationToken) => quota.AdmitAsync(tenant, quota.Count(request), cancellationToken),
            service.ExportAsync);

    /// <summary>What differs between the signals in the answers: the request's name and what it carries.</summary>
    private sealed record Signal(string Request, string Items)
    {
        public static readonly Signal Traces = new("an OTLP trace request", "spans");
        public static readonly Signal Logs = new("an OTLP logs request", "log records");
    }

    /// <summary>
    /// One export, whatever the signal: content type, credentials, back-pressure, the body (size, gzip), the
    /// signal's parser, the project's quota (which counts the parsed items), then the service. Every refusal is the
    /// same for traces and logs.
    /// </summary>
    private static async Task ExportAsync<TRequest, TResponse>(
        HttpContext context,
        IngestAuthenticator authenticator,
        IngestionBackpressure backpressure,
        IngestLimits limits,
        Signal signal,
        Func<ReadOnlySequence<byte>, bool, TRequest> parse,
        Func<TRequest, Tenant, CancellationToken, Task<QuotaDecision>> admit,
        Func<TRequest, Tenant, CancellationToken, Task<TResponse>> export)
        where TResponse : IMessage
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var json = mediaType == Json;
        if (!json && mediaType != Protobuf)
        {
            await WriteStatusAsync(context, json: true, StatusCodes.Status415UnsupportedMediaType, Code.InvalidArgument,
                $"Content-Type must be {Protobuf} or {Json}, not '{mediaType ?? "(none)"}'.");
            return;
        }

        var auth = await authenticator.AuthenticateAsync(
            context.Request.Headers.Authorization, context.Request.Headers[DataPlaneAuthenticator.ProjectHeader], context.RequestAborted);
        if (auth.Unavailable)
        {
            await WriteRetryLaterAsync(context, json, logUnavailable: true, KeyDirectoryUnavailableException.RetryAfter, auth.Problem!);
            return;
        }
        if (auth.Tenant is not { } tenant)
        {
            await WriteStatusAsync(context, json, auth.Status, auth.Status switch
            {
                StatusCodes.Status403Forbidden => Code.PermissionDenied,
                StatusCodes.Status404NotFound => Code.NotFound,
                StatusCodes.Status400BadRequest => Code.InvalidArgument,
                _ => Code.Unauthenticated,
            }, auth.Problem!);
            return;
        }

        var state = backpressure.Current;
        if (!state.Accepting)
        {
            await WriteRetryLaterAsync(context, json, state.LogUnavailable, state.RetryAfter, state.Reason!);
            return;
        }

        TRequest request;
        using (var body = await ReadBodyAsync(context, json, limits, signal))
        {
            if (body is null) return;
            try
            {
                // Parsing copies what it keeps, so the body's buffers go back right after.
                request = parse(body.Data, json);
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException)
            {
                await WriteStatusAsync(context, json, StatusCodes.Status400BadRequest, Code.InvalidArgument, $"The body is not {signal.Request}: {ex.Message}");
                return;
            }
        }

        var quota = await admit(request, tenant, context.RequestAborted);
        if (!quota.Admitted)
        {
            await WriteOverQuotaAsync(context, json, quota, tenant);
            return;
        }

        TResponse response;
        try
        {
            response = await export(request, tenant, context.RequestAborted);
        }
        catch (MessageLogUnavailableException ex)
        {
            await WriteRetryLaterAsync(context, json, logUnavailable: true, TimeSpan.FromSeconds(5), ex.Message);
            return;
        }
        await WriteMessageAsync(context, json, StatusCodes.Status200OK, response);
    }

    /// <summary>Reads the (possibly gzip) body up to the limit; answers 400/413/415 itself and returns null when it did.</summary>
    private static async Task<RequestBody?> ReadBodyAsync(HttpContext context, bool json, IngestLimits limits, Signal signal)
    {
        var encoding = context.Request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is not ("" or "identity" or "gzip"))
        {
            await WriteStatusAsync(context, json, StatusCodes.Status415UnsupportedMediaType, Code.InvalidArgument,
                $"Content-Encoding '{encoding}' is not supported; use gzip or none.");
            return null;
        }

        var declared = context.Request.ContentLength;
        if (declared > limits.MaxBodyBytes)
        {
            await TooLargeAsync(context, json, limits, signal);
            return null;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            // The compressed body may not exceed the limit either.
            feature.MaxRequestBodySize = limits.MaxBodyBytes;
        }

        try
        {
            return encoding == "gzip" ? await ReadGzipAsync(context, json, limits, signal) : await ReadPlainAsync(context, json, limits, signal);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLargeAsync(context, json, limits, signal);
            return null;
        }
    }

    /// <summary>
    /// A plain body stays in the server's own buffers until it is parsed (protobuf parses a segmented
    /// buffer as it is): copying ~100 KB per request into a buffer of our own was pure overhead.
    /// </summary>
    private static async Task<RequestBody?> ReadPlainAsync(HttpContext context, bool json, IngestLimits limits, Signal signal)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            var buffer = result.Buffer;
            if (buffer.Length > limits.MaxBodyBytes)
            {
                reader.AdvanceTo(buffer.End);
                await TooLargeAsync(context, json, limits, signal);
                return null;
            }
            if (result.IsCompleted) return new RequestBody(buffer, reader, null);
            // Nothing consumed: the next read returns the whole body so far plus what arrived.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<RequestBody?> ReadGzipAsync(HttpContext context, bool json, IngestLimits limits, Signal signal)
    {
        // Only the decompressor is ours to dispose; the request body belongs to the server.
        await using var gzip = new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true);
        var buffer = new ArrayPoolBufferWriter<byte>(64 * 1024);
        var complete = false;
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(16 * 1024);
                var read = await gzip.ReadAsync(memory, context.RequestAborted);
                if (read == 0) break;
                buffer.Advance(read);
                // Counts decompressed bytes too, so a small gzip bomb cannot blow up memory.
                if (buffer.WrittenCount > limits.MaxBodyBytes)
                {
                    await TooLargeAsync(context, json, limits, signal);
                    return null;
                }
            }
            complete = true;
            return new RequestBody(new ReadOnlySequence<byte>(buffer.WrittenMemory), null, buffer);
        }
        catch (InvalidDataException ex)
        {
            await WriteStatusAsync(context, json, StatusCodes.Status400BadRequest, Code.InvalidArgument, $"The gzip body is corrupt or truncated: {ex.Message}");
            return null;
        }
        finally
        {
            if (!complete) buffer.Dispose();
        }
    }

    /// <summary>A read body: the server's buffers (released to its reader) or a pooled copy of the decompressed bytes.</summary>
    private sealed class RequestBody(ReadOnlySequence<byte> data, PipeReader? reader, ArrayPoolBufferWriter<byte>? pooled) : IDisposable
    {
        public ReadOnlySequence<byte> Data => data;

        public void Dispose()
        {
            reader?.AdvanceTo(data.End);
            pooled?.Dispose();
        }
    }

    private static Task TooLargeAsync(HttpContext context, bool json, IngestLimits limits, Signal signal) =>
        WriteStatusAsync(context, json, StatusCodes.Status413PayloadTooLarge, Code.ResourceExhausted,
            $"The request body exceeds {limits.MaxBodyBytes} bytes (after decompression); send fewer {signal.Items} per request.");

    private static Task WriteRetryLaterAsync(HttpContext context, bool json, bool logUnavailable, TimeSpan retryAfter, string reason)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var status = new Google.Rpc.Status
        {
            Code = (int)(logUnavailable ? Code.Unavailable : Code.ResourceExhausted),
            Message = reason + " Retry later.",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        };
        return WriteMessageAsync(context, json, logUnavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests, status);
    }

    /// <summary>429 with Retry-After and a google.rpc.Status carrying RetryInfo, as OTLP exporters read a throttled export.</summary>
    private static Task WriteOverQuotaAsync(HttpContext context, bool json, QuotaDecision quota, Tenant tenant)
    {
        context.Response.Headers.RetryAfter = quota.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteMessageAsync(context, json, StatusCodes.Status429TooManyRequests, OtlpQuotaStatus.From(quota, tenant));
    }

    private static Task WriteStatusAsync(HttpContext context, bool json, int httpStatus, Code code, string message) =>
        WriteMessageAsync(context, json, httpStatus, new Google.Rpc.Status { Code = (int)code, Message = message });

    private static async Task WriteMessageAsync(HttpContext context, bool json, int httpStatus, IMessage message)
    {
        context.Response.StatusCode = httpStatus;
        if (json)
        {
            context.Response.ContentType = Json;
            await context.Response.WriteAsync(OtlpJson.Format(message), context.RequestAborted);
        }
        else
        {
            context.Response.ContentType = Protobuf;
            await context.Response.Body.WriteAsync(message.ToByteArray(), context.RequestAborted);
        }
    }
}
