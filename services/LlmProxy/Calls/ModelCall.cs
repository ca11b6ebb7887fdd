using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.LlmProxy.Routing;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>What kind of call: chat completion or embeddings.</summary>
public enum ModelOperation
{
    Chat,
    Embeddings,
}

/// <summary>
/// One call through the proxy, as it is traced: the caller's request, the target that answered (or the last one
/// tried), the answer (a streamed answer merged into one completion) or the error, and its times (Unix ms).
/// </summary>
public sealed record ModelCall(CallScope Scope, ModelOperation Operation, string RequestedModel, JsonObject Request, bool Streamed)
{
    public RouteTarget? Target { get; set; }

    /// <summary>The completion or embeddings answer; for a stream, its chunks merged (<see cref="StreamAccumulator"/>).</summary>
    public JsonObject? Response { get; set; }

    public OpenAiErrorException? Error { get; set; }

    /// <summary>Attempts made over all targets (1 when the first answered).</summary>
    public int Attempts { get; set; }

    public double StartedAt { get; set; }

    /// <summary>When the first chunk reached the proxy (streams only).</summary>
    public double? FirstChunkAt { get; set; }

    public double EndedAt { get; set; }

    /// <summary>The caller went away before the answer was complete.</summary>
    public bool Cancelled { get; set; }
}

/// <summary>Turns finished calls into model events in the caller's project.</summary>
public interface IModelCallTracer
{
    /// <summary>Queues the call's trace; never blocks the call (the proxy's own routes).</summary>
    void Trace(ModelCall call);

    /// <summary>
    /// Publishes the call's trace and returns once the message log holds it: for callers inside durable work (an
    /// evaluator or experiment activity), whose completion must imply the trace. A queued trace dies with a killed
    /// process, and a completed activity is not run again.
    /// </summary>
    Task TraceDurablyAsync(ModelCall call, CancellationToken cancellationToken);
}

/// <summary>Per-project rate limit and concurrency cap (Redis, shared by every proxy replica).</summary>
public interface IProjectCallLimiter
{
    /// <summary>A lease for one call, released when disposed; throws a 429 <see cref="OpenAiErrorException"/> when the project is over a limit.</summary>
    Task<IAsyncDisposable> AcquireAsync(CallScope scope, CancellationToken cancellationToken);
}
