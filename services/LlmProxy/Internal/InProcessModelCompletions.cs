using System.Text.Json.Nodes;
using HoneyHive.Contracts.Llm;
using HoneyHive.LlmProxy.Apis;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Internal;

/// <summary>
/// <see cref="IModelCompletions"/> in the proxy's own process: the same routing (aliases, provider/model, the workspace's
/// keys), the same per-project limits and the same model event as a client's <c>/v1/chat/completions</c>, never
/// streamed. The project's workspace is looked up, never taken from the request, so a caller cannot borrow another
/// workspace's keys by naming it.
/// </summary>
public sealed class InProcessModelCompletions(
    ModelCaller caller, ProjectScopes projects, TimeProvider clock, IProjectCallLimiter? limiter = null, IModelCallTracer? tracer = null)
    : IModelCompletions
{
    public async Task<JsonObject> CompleteAsync(ModelCompletionRequest request, CancellationToken cancellationToken)
    {
        var body = (JsonObject)request.Body.DeepClone();
        // The platform reads one answer: a stream would have nobody to read it.
        body.Remove("stream");
        body.Remove("stream_options");
        try
        {
            ChatCompletionsApi.CheckChatRequest(body);
        }
        catch (OpenAiErrorException error)
        {
            throw ToCompletionError(error);
        }
        if (!Guid.TryParse(request.ProjectId, out var projectId) || await projects.ForAsync(projectId, cancellationToken) is not { } scope)
            throw new ModelCompletionException(404, "project_not_found", $"Project '{request.ProjectId}' is not known to this data plane.");
        scope = scope with { SessionId = request.SessionId, EventId = request.EventId, ParentId = request.ParentId };

        var call = new ModelCall(scope, ModelOperation.Chat, OpenAiRequests.RequiredString(body, "model"), body, Streamed: false) { StartedAt = Now() };
        IAsyncDisposable? lease = null;
        try
        {
            if (limiter is not null) lease = await limiter.AcquireAsync(scope, cancellationToken);
            call.Response = await caller.CompleteAsync(call, cancellationToken);
            call.EndedAt = Now();
            return (JsonObject)call.Response.DeepClone();
        }
        catch (OpenAiErrorException error)
        {
            call.Error = error;
            throw ToCompletionError(error);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.Cancelled = true;
            throw;
        }
        finally
        {
            if (lease is not null) await lease.DisposeAsync();
            if (call.EndedAt == 0) call.EndedAt = Now();
            // Traced like a client's call, errors included: the project sees what its evaluators spent. The callers
            // are durable activities, so the trace is in the message log before the answer is returned (a queued one
            // would die with a killed Host while the completed activity never runs again).
            if (tracer is not null) await TraceDurablyAsync(tracer, call);
        }
    }

    /// <summary>Publishes the trace within <see cref="DurableTraceTimeout"/>; past it (the message log down) the trace is queued instead.</summary>
    private async Task TraceDurablyAsync(IModelCallTracer tracer, ModelCall call)
    {
        using var timeout = new CancellationTokenSource(DurableTraceTimeout);
        try
        {
            await tracer.TraceDurablyAsync(call, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            tracer.Trace(call);
        }
    }

    /// <summary>How long an answer waits for its trace to be published before queuing it like the proxy's routes do.</summary>
    public static readonly TimeSpan DurableTraceTimeout = TimeSpan.FromSeconds(10);

    private static ModelCompletionException ToCompletionError(OpenAiErrorException error) =>
        new(error.Status, error.Code ?? error.Type, error.Message, error.RetryAfter);

    private double Now() => (clock.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;
}
