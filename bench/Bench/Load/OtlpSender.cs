using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Google.Rpc;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.Bench.Load;

/// <summary>
/// How a send ended: accepted spans, or refused (with the server's Retry-After when it gave one).
/// <paramref name="Retryable"/> follows the OTLP specification (HTTP 429/502/503/504 and connection
/// failures; gRPC UNAVAILABLE, RESOURCE_EXHAUSTED with RetryInfo, ...); <paramref name="Throttled"/> is
/// the server's back-pressure answer (429 / RESOURCE_EXHAUSTED).
/// </summary>
public readonly record struct SendResult(bool Accepted, long AcceptedSpans, TimeSpan? RetryAfter, string? Error, bool Retryable = true, bool Throttled = false);

/// <summary>Sends one OTLP export request over HTTP/protobuf or gRPC, as exporters do.</summary>
public interface IOtlpSender : IDisposable
{
    string Protocol { get; }
    Task<SendResult> SendAsync(ExportTraceServiceRequest request, CancellationToken ct);
}

public sealed class HttpProtobufSender(Uri endpoint, string apiKey) : IOtlpSender
{
    // No proxy lookup and no decompression: the load generator shares the cores it measures.
    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public string Protocol => "http/protobuf";

    public async Task<SendResult> SendAsync(ExportTraceServiceRequest request, CancellationToken ct)
    {
        // A 100-span request is ~110 KB: a fresh array each time lands on the large-object heap, and the
        // client's gen-2 collections then take CPU from the Host on the same cores (gRPC's client pools its buffer).
        var size = request.CalculateSize();
        var body = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            request.WriteTo(body.AsSpan(0, size));
            return await SendAsync(request, body, size, ct);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(body);
        }
    }

    private async Task<SendResult> SendAsync(ExportTraceServiceRequest request, byte[] body, int size, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body, 0, size);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "/v1/traces")) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return new SendResult(false, 0, TimeSpan.FromSeconds(1), ex.Message);
        }
        using var _ = response;
        var answerBytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var answer = ExportTraceServiceResponse.Parser.ParseFrom(answerBytes);
            return new SendResult(true, SpanCount(request) - (answer.PartialSuccess?.RejectedSpans ?? 0), null, null);
        }
        var code = (int)response.StatusCode;
        return new SendResult(false, 0, response.Headers.RetryAfter?.Delta, $"HTTP {code}",
            Retryable: code is 429 or 502 or 503 or 504, Throttled: code == 429);
    }

    public void Dispose() => client.Dispose();

    public static long SpanCount(ExportTraceServiceRequest request) =>
        request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => (long)s.Spans.Count));
}

public sealed class GrpcSender(Uri endpoint, string apiKey) : IOtlpSender
{
    private readonly GrpcChannel channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
    {
        MaxSendMessageSize = 16 * 1024 * 1024,
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
    });
    private readonly Metadata headers = new() { { "authorization", "Bearer " + apiKey } };

    public string Protocol => "grpc";

    public async Task<SendResult> SendAsync(ExportTraceServiceRequest request, CancellationToken ct)
    {
        try
        {
            var answer = await new TraceService.TraceServiceClient(channel).ExportAsync(request, headers, cancellationToken: ct);
            return new SendResult(true, HttpProtobufSender.SpanCount(request) - (answer.PartialSuccess?.RejectedSpans ?? 0), null, null);
        }
        catch (RpcException ex)
        {
            // The server's RetryInfo is OTLP/gRPC's Retry-After; without it exporters back off on their own.
            var retryInfo = ex.GetRpcStatus()?.GetDetail<RetryInfo>();
            var retryable = ex.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Aborted
                or StatusCode.OutOfRange or StatusCode.Unavailable or StatusCode.DataLoss or StatusCode.Internal
                || (ex.StatusCode == StatusCode.ResourceExhausted && retryInfo is not null);
            return new SendResult(false, 0, retryInfo?.RetryDelay?.ToTimeSpan(), ex.StatusCode.ToString(),
                Retryable: retryable, Throttled: ex.StatusCode == StatusCode.ResourceExhausted);
        }
    }

    public void Dispose() => channel.Dispose();
}
