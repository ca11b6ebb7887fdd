using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Platform;

namespace HoneyHive.Bench.Chaos;

/// <summary>What a fault can reach: the Host, its API, the message log and the dead letters.</summary>
public sealed record ChaosContext(
    HostLauncher Host, HttpClient Api, PipelineState Pipeline, DeadLetterCount DeadLetters, TimeSpan LongOutage, TimeSpan DrainLimit);

/// <summary>
/// One fault of `./hh chaos`: <see cref="InjectAsync"/> runs while the load runs (a third into it) and
/// returns a note; <see cref="RecoverAsync"/> runs after the load, before the store is checked, and
/// returns how many dead-letter events it replayed.
/// </summary>
public abstract class ChaosFault
{
    public abstract string Name { get; }

    public abstract string What { get; }

    /// <summary>Why this fault cannot run here, or null.</summary>
    public virtual string? Unavailable => null;

    public abstract Task<string> InjectAsync(ChaosContext context, CancellationToken ct);

    public virtual Task<long> RecoverAsync(ChaosContext context, CancellationToken ct) => Task.FromResult(0L);

    public static IReadOnlyList<ChaosFault> All(TimeSpan shortOutage) =>
    [
        new NoFault(),
        new KillHost(),
        new RestartServer("nats", "NATS restarted mid-load (file store kept)"),
        new RestartServer("redis", "Redis restarted mid-load"),
        new RestartServer("postgres", "PostgreSQL restarted mid-load"),
        new AnalyticsOutage("analytics-10s", shortOutage, longerThanRetries: false),
        new AnalyticsOutage("analytics-long", null, longerThanRetries: true),
        new LostAcks(),
    ];

    protected static async Task PostFaultAsync(HttpClient api, string fault, double seconds, CancellationToken ct)
    {
        using var response = await api.PostAsJsonAsync(new Uri($"/internal/faults/{fault}", UriKind.Relative), new { seconds }, ct);
        response.EnsureSuccessStatusCode();
    }

    protected static async Task<JsonNode> FaultStateAsync(HttpClient api, CancellationToken ct) =>
        JsonNode.Parse(await api.GetStringAsync(new Uri("/internal/faults", UriKind.Relative), ct))!;
}

/// <summary>The control row: the same load, no fault.</summary>
public sealed class NoFault : ChaosFault
{
    public override string Name => "none";
    public override string What => "no fault (control)";
    public override Task<string> InjectAsync(ChaosContext context, CancellationToken ct) => Task.FromResult("");
}

/// <summary>kill -9 of the platform process mid-load, then the same Host started again.</summary>
public sealed class KillHost : ChaosFault
{
    public override string Name => "kill9";
    public override string What => "kill -9 of the Host mid-load, restarted";

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await context.Host.KillAndRestartAsync(ct);
        return $"healthy again after {clock.Elapsed.TotalSeconds:0.0} s";
    }
}

/// <summary>A server `./hh` started, stopped and started again by hh itself.</summary>
public sealed class RestartServer(string server, string what) : ChaosFault
{
    public override string Name => server;
    public override string What => what;
    public override string? Unavailable => ServerControl.Available ? null : $"{ServerControl.ScriptVariable} not set (run ./hh chaos)";

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        var took = await ServerControl.RestartAsync(server, ct);
        return $"down/up in {took.TotalSeconds:0.0} s";
    }
}

/// <summary>
/// The analytics store fails (writes and reads) through the test fault switch. Short: the Writer's retries
/// ride it out. Long (longer than the retry budget): batches go to the dead letters; once the store is back
/// and the backlog is drained, the dead letters are replayed as `./hh dlq replay` does.
/// </summary>
public sealed class AnalyticsOutage(string name, TimeSpan? duration, bool longerThanRetries) : ChaosFault
{
    private DateTime endsAt;

    public override string Name => name;
    public override string What => longerThanRetries ? "analytics store down longer than the retry budget, then dlq replay" : "analytics store down briefly";

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        var length = duration ?? context.LongOutage;
        await PostFaultAsync(context.Api, "analytics", length.TotalSeconds, ct);
        endsAt = DateTime.UtcNow + length;
        return $"down {length.TotalSeconds:0} s";
    }

    public override async Task<long> RecoverAsync(ChaosContext context, CancellationToken ct)
    {
        var wait = endsAt - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
        if (!longerThanRetries) return 0;
        // Everything not dead-lettered is written first; then the dead letters hold exactly the rest.
        await context.Pipeline.WaitForEmptyBacklogAsync(context.DrainLimit, ct);
        var (letters, events) = await context.DeadLetters.CountAsync(ct);
        Console.WriteLine($"#   {letters} dead letters with {events} events; replaying them (dlq replay --publish)");
        var exit = await context.DeadLetters.ReplayAsync();
        if (exit != 0) Console.WriteLine($"#   dlq replay exited with {exit}");
        var (_, leftEvents) = await context.DeadLetters.CountAsync(ct);
        return events - leftEvents;
    }
}

/// <summary>Batches written during the fault lose their first ack, so JetStream redelivers batches already written.</summary>
public sealed class LostAcks : ChaosFault
{
    private long before;

    public override string Name => "redelivery";
    public override string What => "acks of written batches dropped for 10 s: JetStream redelivers them";

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        before = (await FaultStateAsync(context.Api, ct))["lost_acks"]!.GetValue<long>();
        await PostFaultAsync(context.Api, "lost-acks", 10, ct);
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        var after = (await FaultStateAsync(context.Api, ct))["lost_acks"]!.GetValue<long>();
        return $"{after - before} messages redelivered after being written";
    }
}
