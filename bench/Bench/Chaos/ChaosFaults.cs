using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.Bench.Load;
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

    /// <summary>What recovery showed (printed in the row's note).</summary>
    public string RecoveryNote { get; protected set; } = "";

    /// <summary>The load this fault runs under (most: the command's plan unchanged).</summary>
    public virtual LoadPlan Load(LoadPlan plan) => plan;

    public virtual Task<long> RecoverAsync(ChaosContext context, CancellationToken ct) => Task.FromResult(0L);

    public static IReadOnlyList<ChaosFault> All(TimeSpan shortOutage) =>
    [
        new NoFault(),
        new KillHost(),
        new KillHost(largePayloads: true),
        new RestartServer("nats", "NATS restarted mid-load (file store kept)"),
        new KillNats(),
        new RestartServer("redis", "Redis restarted mid-load"),
        new RestartServer("postgres", "PostgreSQL restarted mid-load"),
        new AnalyticsOutage("analytics-10s", shortOutage, longerThanRetries: false),
        new AnalyticsOutage("analytics-long", null, longerThanRetries: true),
        new LostAcks(),
        new ObjectStoreFull(),
    ];

    /// <summary>
    /// Large-payload load: fewer, bigger spans whose prompt passes Writer:LargePayloadBytes (64 KB), so
    /// requests of about a megabyte are in flight and the Writer writes payloads to the object store.
    /// </summary>
    public static LoadPlan LargePayloads(LoadPlan plan) => plan with
    {
        SpansPerRequest = Math.Min(plan.SpansPerRequest, 10),
        PadChars = 80_000,
        TargetSpansPerSecond = plan.TargetSpansPerSecond / 4,
    };

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
/// <param name="largePayloads">Under large-payload load: requests of ~1 MB are being uploaded and payloads written when it dies.</param>
public sealed class KillHost(bool largePayloads = false) : ChaosFault
{
    public override string Name => largePayloads ? "kill9-large" : "kill9";
    public override string What => largePayloads
        ? "kill -9 of the Host during large-payload uploads (80 KB prompts, ~1 MB requests), restarted"
        : "kill -9 of the Host mid-load, restarted";

    public override LoadPlan Load(LoadPlan plan) => largePayloads ? LargePayloads(plan) : plan;

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
/// NATS killed with SIGKILL (no shutdown, no flush: what a crash or the OOM killer does), then started
/// again by <c>./hh _restart nats</c> on the same port and file store. The pid comes from hh's pid file.
/// </summary>
public sealed class KillNats : ChaosFault
{
    public override string Name => "nats-kill9";
    public override string What => "kill -9 of NATS mid-load, restarted on the same file store";
    public override string? Unavailable => !ServerControl.Available
        ? $"{ServerControl.ScriptVariable} not set (run ./hh chaos)"
        : ServerControl.RunningPid("nats", "nats-server") is null ? "no running nats-server in the bench instance's pid file" : null;

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        var pid = ServerControl.RunningPid("nats", "nats-server")
            ?? throw new InvalidOperationException("No running nats-server in the bench instance's pid file.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var nats = System.Diagnostics.Process.GetProcessById(pid))
        {
            nats.Kill(); // SIGKILL
        }
        // Gone, or a zombie until hh's shell reaps it (hh's stop treats a zombie as stopped).
        while (File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
            await Task.Delay(50, ct);
        await ServerControl.RestartAsync("nats", ct);
        return $"killed, up again in {clock.Elapsed.TotalSeconds:0.0} s";
    }
}

/// <summary>
/// The object store's filesystem is full: the Host's objects folder is a small tmpfs mounted before the
/// Host started (a real filesystem, so writes fail with the kernel's ENOSPC, not a simulated error); the
/// fault fills it with a file for <see cref="Outage"/> (shorter than the Writer's retry budget) under
/// large-payload load, so payload writes and dead letters fail, then deletes the file.
/// </summary>
public sealed class ObjectStoreFull : ChaosFault
{
    public const string SizeOption = "size=512m";
    public static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);
    private DateTime endsAt;
    private string? filler;
    private int errorsBefore;

    public override string Name => "objects-full";
    public override string What => $"object store's filesystem full for {Outage.TotalSeconds:0} s under large-payload load";

    public override LoadPlan Load(LoadPlan plan) => LargePayloads(plan);

    /// <summary>Set by the command when the tmpfs could not be mounted.</summary>
    public string? MountError { get; set; }

    public bool Mounted { get; set; }

    public override string? Unavailable => MountError;

    /// <summary>Mounts a tmpfs on the Host's objects folder (before the Host starts).</summary>
    public async Task MountAsync(string objectsPath)
    {
        Directory.CreateDirectory(objectsPath);
        var (exit, output) = await RunAsync("mount", "-t", "tmpfs", "-o", SizeOption, "hh-bench-objects", objectsPath);
        if (exit == 0) Mounted = true;
        else MountError = $"mount -t tmpfs on {objectsPath} failed ({exit}): {output.Trim()}";
    }

    public async Task UnmountAsync(string objectsPath)
    {
        if (!Mounted) return;
        var (exit, output) = await RunAsync("umount", objectsPath);
        if (exit != 0) Console.WriteLine($"# umount {objectsPath} failed ({exit}): {output.Trim()}");
    }

    public override async Task<string> InjectAsync(ChaosContext context, CancellationToken ct)
    {
        errorsBefore = CountNoSpace(context.Host.Output);
        filler = Path.Combine(context.Host.ObjectStorePath, "filler-" + Guid.NewGuid().ToString("N"));
        long written = 0;
        var block = new byte[1 << 20];
        try
        {
            await using var file = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            while (true)
            {
                await file.WriteAsync(block, ct);
                await file.FlushAsync(ct);
                written += block.Length;
            }
        }
        catch (IOException) when (written > 0 || File.Exists(filler))
        {
            // ENOSPC: the filesystem is full now.
        }
        endsAt = DateTime.UtcNow + Outage;
        return $"filled with {written / (1 << 20)} MB";
    }

    public override async Task<long> RecoverAsync(ChaosContext context, CancellationToken ct)
    {
        var wait = endsAt - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
        if (filler is not null) File.Delete(filler);
        RecoveryNote = $"{CountNoSpace(context.Host.Output) - errorsBefore} 'No space left on device' errors logged by the Host";
        return 0;
    }

    private static int CountNoSpace(string log)
    {
        var count = 0;
        for (var at = log.IndexOf("No space left on device", StringComparison.Ordinal); at >= 0; at = log.IndexOf("No space left on device", at + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        try
        {
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
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
