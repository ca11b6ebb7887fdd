using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>
/// Runs one call for an HTTP request and writes the answer: the project's limits first, then the call (retries and
/// fallbacks in <see cref="ModelCaller"/>), then JSON or server-sent events in OpenAI's shapes, and finally the trace,
/// whatever happened (an error, a stream cut off, a client that went away).
/// </summary>
public sealed class ModelCallHandler(
    ModelCaller caller, TimeProvider clock, ILogger<ModelCallHandler> logger, IProjectCallLimiter? limiter = null, IModelCallTracer? tracer = null)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Answers <paramref name="call"/> on <paramref name="context"/>; returns with the call's outcome filled in.</summary>
    public async Task HandleAsync(HttpContext context, ModelCall call, CancellationToken cancellationToken)
    {
        call.StartedAt = Now();
        IAsyncDisposable? lease = null;
        try
        {
            if (limiter is not null) lease = await limiter.AcquireAsync(call.Scope, cancellationToken);
            if (call.Streamed) await StreamAsync(context, call, cancellationToken);
            else
            {
                call.Response = call.Operation == ModelOperation.Embeddings
                    ? await caller.EmbedAsync(call, cancellationToken)
                    : await caller.CompleteAsync(call, cancellationToken);
                call.EndedAt = Now();
                await context.Response.WriteAsJsonAsync(call.Response, cancellationToken);
            }
        }
        catch (OpenAiErrorException error)
        {
            call.Error = error;
            call.EndedAt = Now();
            if (!context.Response.HasStarted) await error.WriteAsync(context.Response, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.Cancelled = true;
            call.EndedAt = Now();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault of the proxy itself (a store down, a bug): OpenAI's shape still, and the cause in the log only.
            logger.LogError(e, "The proxy failed on a call to {Model}", call.RequestedModel);
            var error = new OpenAiErrorException(500, "api_error", "The proxy failed to handle the call; it is logged. Retry later.", inner: e);
            call.Error = error;
            call.EndedAt = Now();
            if (!context.Response.HasStarted) await error.WriteAsync(context.Response, cancellationToken);
        }
        finally
        {
            // The caller has its whole answer before the lease goes back to Redis and the trace is queued.
            await CompleteResponseAsync(context, cancellationToken);
            if (lease is not null) await lease.DisposeAsync();
            if (call.EndedAt == 0) call.EndedAt = Now();
            tracer?.Trace(call);
        }
    }

    private async Task StreamAsync(HttpContext context, ModelCall call, CancellationToken cancellationToken)
    {
        var includeUsage = call.Request["stream_options"] is JsonObject options && options["include_usage"] is JsonValue flag
            && flag.TryGetValue<bool>(out var asked) && asked;
        var merged = new StreamAccumulator();
        // Errors before the first chunk are answered as JSON with their status (OpenAI's clients read them so).
        await using var stream = await caller.OpenStreamAsync(call, cancellationToken);
        call.FirstChunkAt = Now();

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // a buffering reverse proxy in front would hold the tokens back
        try
        {
            for (var chunk = stream.First; chunk is not null; chunk = await stream.NextAsync())
            {
                merged.Add(chunk);
                if (!includeUsage)
                {
                    // Usage was asked upstream for the trace only: its chunk (no choices) and any usage field stay here.
                    if (chunk["usage"] is not null && chunk["choices"] is JsonArray { Count: 0 }) continue;
                    chunk.Remove("usage");
                }
                await WriteEventAsync(response, chunk, cancellationToken);
            }
            await response.Body.WriteAsync(Done, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        catch (OpenAiErrorException error)
        {
            // Midway the status is sent: the error goes in the stream, as OpenAI's own streams report one.
            call.Error = error;
            await WriteEventAsync(response, error.ToJson(), cancellationToken);
        }
        finally
        {
            call.Response = merged.ToCompletion();
            call.EndedAt = Now();
        }
    }

    private static async Task CompleteResponseAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Response.HasStarted || cancellationToken.IsCancellationRequested) return;
        try
        {
            await context.Response.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away as the answer ended: nothing left to send it.
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, JsonObject data, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(DataPrefix, cancellationToken);
        await using (var writer = new Utf8JsonWriter(response.Body))
        {
            data.WriteTo(writer);
        }
        await response.Body.WriteAsync(EventEnd, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private double Now() => (clock.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;
}
