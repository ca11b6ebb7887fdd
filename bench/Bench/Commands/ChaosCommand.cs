using System.Diagnostics;
using System.Globalization;
using HoneyHive.Bench.Chaos;
using HoneyHive.Bench.Limits;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench chaos` (run by `./hh chaos`): the same paced OTLP load while each fault happens in turn, then
/// recovery, and for each fault a check of the store against every acknowledged span: stored (unique),
/// duplicates visible to queries, dead-lettered and replayed, lost = acknowledged − stored − dead-lettered.
/// The Host runs with the test fault switch on, a managed-heap hard limit and a small back-pressure
/// threshold, so the outage rows also show memory staying bounded while ingestion answers 429.
/// </summary>
public static class ChaosCommand
{
    private static readonly LoadPlan Defaults = new()
    {
        Concurrency = 8,
        SpansPerRequest = 40,
        Duration = TimeSpan.FromSeconds(20),
        TargetSpansPerSecond = 800,
        Shape = SpanShape.Agent,
        Protocol = "http",
        // Longer than any outage here: an exporter that gives up loses data by its own choice, not ours.
        RetryBudget = TimeSpan.FromMinutes(3),
    };

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var plan = LoadPlan.Parse(args, Defaults, out var rest);
        var options = ChaosOptions.Parse(rest);
        var faults = ChaosFault.All(TimeSpan.FromSeconds(10))
            .Where(f => options.Faults is null || options.Faults.Contains(f.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"# load per fault: {plan}; faults: {string.Join(", ", faults.Select(f => f.Name))}");
        Console.WriteLine($"# Host memory: managed heap hard limit {options.HeapLimitMb} MB (DOTNET_GCHeapHardLimit), RSS ceiling {options.RssCeilingMb} MB; back-pressure at {options.MaxBacklog} messages");

        var settings = new Dictionary<string, string>
        {
            ["Faults__Enabled"] = "true",
            ["Ingestion__Backpressure__MaxBacklogMessages"] = options.MaxBacklog.ToString(CultureInfo.InvariantCulture),
            ["DOTNET_GCHeapHardLimit"] = "0x" + (options.HeapLimitMb * 1024L * 1024L).ToString("X", CultureInfo.InvariantCulture),
        };
        var rows = new List<ChaosRow>();
        await using (var host = await HostLauncher.StartAsync(settings, ct))
        {
            using var api = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(120) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", host.ApiKey);
            var pipeline = new PipelineState(BenchEnvironment.NatsUrl, Environment.GetEnvironmentVariable("HH_TEST_NATS_MONITOR"));
            var deadLetters = new DeadLetterCount(Path.Combine(host.WorkingDirectory, "objects"), BenchEnvironment.NatsUrl);
            var context = new ChaosContext(host, api, pipeline, deadLetters, options.LongOutage, options.DrainLimit);
            var retryBudget = WriterRetryBudget();
            Console.WriteLine($"# host pid {host.ProcessId} ready; Writer retry budget ≈ {retryBudget.TotalSeconds:0} s (Writer defaults), long outage {options.LongOutage.TotalSeconds:0} s");

            await using var sampler = new ProcessSampler(() => host.ProcessId);
            using var sender = Sender(plan, host);
            foreach (var fault in faults)
            {
                if (fault.Unavailable is { } why)
                {
                    Console.WriteLine($"# {fault.Name}: skipped, {why}");
                    continue;
                }
                Console.WriteLine($"# {fault.Name}: {fault.What}");
                var row = await RunFaultAsync(fault, context, plan, sender, sampler, ct);
                Console.WriteLine($"#   acked {row.Acknowledged}, stored {row.StoredUnique}, duplicates {row.Duplicates}, lost {row.Lost}, drained in {row.DrainSeconds:0.0} s, peak RSS {row.PeakRssMb:0} MB; {row.Note}");
                rows.Add(row);
            }

            await File.WriteAllTextAsync(Path.Combine(host.WorkingDirectory, "host.log"), host.Output, ct);
            Console.WriteLine($"# host log: {Path.Combine(host.WorkingDirectory, "host.log")}");
        }

        Console.WriteLine();
        ChaosRow.WriteTable(Console.Out, rows);
        Console.WriteLine();
        foreach (var durability in rows.Select(r => r.Durability).Distinct()) Console.WriteLine($"durability in force: {durability}");
        var overCeiling = rows.Where(r => r.PeakRssMb >= options.RssCeilingMb).ToList();
        Console.WriteLine($"memory: peak RSS {rows.Select(r => r.PeakRssMb).DefaultIfEmpty(0).Max():0} MB against a ceiling of {options.RssCeilingMb} MB" +
                          (overCeiling.Count == 0 ? " (held in every row)" : $" (exceeded in: {string.Join(", ", overCeiling.Select(r => r.Fault))})"));

        var measurements = rows.SelectMany(r => new[]
        {
            new Measurement($"chaos.{r.Fault}.acknowledged", "spans", r.Acknowledged, r.What),
            new Measurement($"chaos.{r.Fault}.stored", "spans", r.StoredUnique),
            new Measurement($"chaos.{r.Fault}.duplicates", "rows", r.Duplicates),
            new Measurement($"chaos.{r.Fault}.lost", "spans", r.Lost),
            new Measurement($"chaos.{r.Fault}.drain", "s", r.DrainSeconds),
            new Measurement($"chaos.{r.Fault}.peak_rss", "MB", r.PeakRssMb),
        }).ToList();
        var path = await ResultFile.WriteAsync("chaos", startedAt, measurements, ct,
            new { plan = plan.ToString(), options, rows });
        Console.WriteLine($"results: {path}");
        var lost = rows.Sum(r => r.Lost);
        var duplicates = rows.Sum(r => r.Duplicates);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chaos: faults={rows.Count} lost={lost} duplicates={duplicates} peak_rss_mb={rows.Select(r => r.PeakRssMb).DefaultIfEmpty(0).Max():0} rss_ceiling_mb={options.RssCeilingMb}"));
        return lost == 0 && duplicates == 0 && overCeiling.Count == 0 ? 0 : 1;
    }

    private static async Task<ChaosRow> RunFaultAsync(
        ChaosFault fault, ChaosContext context, LoadPlan plan, IOtlpSender sender, ProcessSampler sampler, CancellationToken ct)
    {
        var ledger = new SpanLedger($"{fault.Name}-{Guid.NewGuid():N}"[..24]);
        var natsDeadBefore = await context.Pipeline.NatsDeadLettersAsync(ct);
        sampler.ResetPeak();
        var cpuBefore = ProcessSampler.CpuTime(context.Host.ProcessId);
        var pidBefore = context.Host.ProcessId;
        var clock = Stopwatch.StartNew();

        var load = LoadRun.RunAsync(sender, plan with { Ledger = ledger }, ct);
        await Task.WhenAny(load, Task.Delay(plan.Duration / 3, ct));
        var note = await fault.InjectAsync(context, ct);
        var result = await load;
        var loadEnded = clock.Elapsed;

        var replayed = await fault.RecoverAsync(context, ct);
        var (count, _) = await StoreCheck.WaitForCountAsync(context.Api, ledger.RunId, ledger.Acknowledged, context.DrainLimit, ct);
        var drain = clock.Elapsed - loadEnded;
        // Redeliveries and retries still in flight finish before duplicates are counted.
        await context.Pipeline.WaitForEmptyBacklogAsync(context.DrainLimit, ct);
        var verdict = await StoreCheck.VerifyAsync(context.Api, ledger, ct);
        var (_, deadEvents) = await context.DeadLetters.CountAsync(ct);
        var natsDead = await context.Pipeline.NatsDeadLettersAsync(ct) - natsDeadBefore;
        var cpu = context.Host.ProcessId == pidBefore ? ProcessSampler.CpuTime(context.Host.ProcessId) - cpuBefore : TimeSpan.Zero;
        var durability = await context.Pipeline.DurabilityAsync(ct);

        // A missing acknowledged span is lost unless a dead letter still holds it (replay pending).
        var lost = Math.Max(0, verdict.Missing - deadEvents);
        var notes = new List<string>();
        if (note.Length > 0) notes.Add(note);
        if (count < ledger.Acknowledged) notes.Add($"count {count} after the drain limit");
        if (verdict.Unacknowledged > 0) notes.Add($"{verdict.Unacknowledged} stored but never acked (ack lost, request given up)");
        if (natsDead > 0) notes.Add($"{natsDead} NATS dead letters");
        if (deadEvents > 0) notes.Add($"{deadEvents} events still dead-lettered");
        if (cpu == TimeSpan.Zero) notes.Add("cpu n/a (process restarted)");
        var cores = cpu.TotalSeconds / clock.Elapsed.TotalSeconds;
        return new ChaosRow(
            fault.Name, fault.What, ledger.Sent, ledger.Acknowledged, verdict.Unique, verdict.Rows, verdict.Duplicates,
            replayed + deadEvents, replayed, lost, ledger.GaveUp, result.Throttled, drain.TotalSeconds, sampler.PeakMegabytes, cores,
            durability.ToString(), string.Join("; ", notes));
    }

    private static IOtlpSender Sender(LoadPlan plan, HostLauncher host) => plan.Protocol == "grpc"
        ? new GrpcSender(host.OtlpGrpc, host.ApiKey)
        : new HttpProtobufSender(host.OtlpHttp, host.ApiKey);

    /// <summary>The Writer's default retry delays summed (exponential from RetryDelay, capped at MaxRetryDelay).</summary>
    private static TimeSpan WriterRetryBudget()
    {
        var options = new HoneyHive.Writer.WriterOptions();
        var total = TimeSpan.Zero;
        for (var attempt = 0; attempt < options.MaxRetryAttempts; attempt++)
        {
            var delay = options.RetryDelay * Math.Pow(2, attempt);
            total += delay < options.MaxRetryDelay ? delay : options.MaxRetryDelay;
        }
        return total;
    }
}

/// <summary>Options of `bench chaos` beyond the load plan.</summary>
public sealed record ChaosOptions
{
    public IReadOnlyList<string>? Faults { get; init; }
    public int HeapLimitMb { get; init; } = 768;
    public int RssCeilingMb { get; init; } = 1536;
    public int MaxBacklog { get; init; } = 100;
    public TimeSpan LongOutage { get; init; } = TimeSpan.FromSeconds(45);
    public TimeSpan DrainLimit { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary><c>--faults a,b --heap-limit-mb N --rss-ceiling-mb N --max-backlog N --long-outage 45s --drain-limit 3m</c>.</summary>
    public static ChaosOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ChaosOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--faults" => options with { Faults = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--heap-limit-mb" => options with { HeapLimitMb = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--rss-ceiling-mb" => options with { RssCeilingMb = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--max-backlog" => options with { MaxBacklog = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--long-outage" => options with { LongOutage = LoadPlan.ParseDuration(Value()) },
                "--drain-limit" => options with { DrainLimit = LoadPlan.ParseDuration(Value()) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }
        return options;
    }
}
