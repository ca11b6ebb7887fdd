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
/// recovery, and for each fault a check of the store against every acknowledged span of that fault's run:
/// stored (unique), duplicates as stored (rows per event id and version without FINAL, and the views'
/// counts against the distinct revisions and against what was sent), dead-lettered and replayed, and
/// lost = acknowledged spans neither stored nor held by a dead letter of this run (matched by span key).
/// A fault that cannot run or be injected is a failed row and fails the command.
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
        var known = ChaosFault.All(TimeSpan.FromSeconds(10));
        var unknown = options.Faults?.Where(n => !known.Any(f => f.Name.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList() ?? [];
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown fault(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known.Select(f => f.Name))}.");
        var faults = known.Where(f => options.Faults is null || options.Faults.Contains(f.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"# load per fault: {plan}; faults: {string.Join(", ", faults.Select(f => f.Name))}");
        Console.WriteLine($"# Host memory: {(options.HeapLimitMb > 0 ? $"managed heap hard limit {options.HeapLimitMb} MB (DOTNET_GCHeapHardLimit)" : "the Host's own bounds")}, RSS ceiling {options.RssCeilingMb} MB; back-pressure at {options.MaxBacklog} messages");

        var settings = new Dictionary<string, string>
        {
            ["Faults__Enabled"] = "true",
            [StoreCheck.ExactCounts.Key] = StoreCheck.ExactCounts.Value,
            ["Ingestion__Backpressure__MaxBacklogMessages"] = options.MaxBacklog.ToString(CultureInfo.InvariantCulture),
        };
        if (options.HeapLimitMb > 0)
            settings["DOTNET_GCHeapHardLimit"] = "0x" + (options.HeapLimitMb * 1024L * 1024L).ToString("X", CultureInfo.InvariantCulture);
        var rows = new List<ChaosRow>();
        // A full object store needs a filesystem of its own under the Host's objects folder from the start.
        var objectsFull = faults.OfType<ObjectStoreFull>().FirstOrDefault();
        string? objectsPath = null;
        Func<string, Task>? prepare = objectsFull is null ? null : dir => objectsFull.MountAsync(objectsPath = Path.Combine(dir, "objects"));
        try
        {
            await using (var host = await HostLauncher.StartAsync(settings, ct, prepare))
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
                    // A fault that cannot run is a failed row, never a silent gap in the table.
                    if (fault.Unavailable is { } why)
                    {
                        Console.WriteLine($"# {fault.Name}: FAILED, cannot run: {why}");
                        rows.Add(ChaosRow.FailedRow(fault, "cannot run: " + why));
                        continue;
                    }
                    Console.WriteLine($"# {fault.Name}: {fault.What}");
                    ChaosRow row;
                    try
                    {
                        row = await RunFaultAsync(fault, context, fault.Load(plan), sender, sampler, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        row = ChaosRow.FailedRow(fault, $"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                    }
                    Console.WriteLine($"#   acked {row.Acknowledged}, stored {row.StoredUnique}, duplicates {row.Duplicates}, view>sent {row.ViewMismatch}, lost {row.Lost}, drained in {row.DrainSeconds:0.0} s, peak RSS {row.PeakRssMb:0} MB; {row.Note}");
                    rows.Add(row);
                }

                await File.WriteAllTextAsync(Path.Combine(host.WorkingDirectory, "host.log"), host.Output, ct);
                Console.WriteLine($"# host log: {Path.Combine(host.WorkingDirectory, "host.log")}");
            }
        }
        finally
        {
            if (objectsFull is not null && objectsPath is not null) await objectsFull.UnmountAsync(objectsPath);
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
            new Measurement($"chaos.{r.Fault}.view_over_sent", "sessions", r.ViewMismatch),
            new Measurement($"chaos.{r.Fault}.failed", "bool", r.Failed is null ? 0 : 1, r.Failed),
            new Measurement($"chaos.{r.Fault}.lost", "spans", r.Lost),
            new Measurement($"chaos.{r.Fault}.drain", "s", r.DrainSeconds),
            new Measurement($"chaos.{r.Fault}.peak_rss", "MB", r.PeakRssMb),
        }).ToList();
        var path = await ResultFile.WriteAsync("chaos", startedAt, measurements, ct,
            new { plan = plan.ToString(), options, rows });
        Console.WriteLine($"results: {path}");
        var lost = rows.Sum(r => r.Lost);
        var duplicates = rows.Sum(r => r.Duplicates);
        var viewMismatch = rows.Sum(r => r.ViewMismatch);
        var failed = rows.Count(r => r.Failed is not null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chaos: faults={rows.Count} lost={lost} duplicates={duplicates} peak_rss_mb={rows.Select(r => r.PeakRssMb).DefaultIfEmpty(0).Max():0} rss_ceiling_mb={options.RssCeilingMb} failed={failed} view_over_sent={viewMismatch}"));
        return lost == 0 && duplicates == 0 && viewMismatch == 0 && failed == 0 && overCeiling.Count == 0 ? 0 : 1;
    }

    private static async Task<ChaosRow> RunFaultAsync(
        ChaosFault fault, ChaosContext context, LoadPlan plan, IOtlpSender sender, ProcessSampler sampler, CancellationToken ct)
    {
        var ledger = new SpanLedger($"{fault.Name}-{Guid.NewGuid():N}"[..24]);
        var natsDeadBefore = await context.Pipeline.NatsDeadLettersAsync(ct);
        var viewExcessBefore = await StoreAudit.ViewExcessAsync(context.Api, ct);
        sampler.ResetPeak();
        var cpuBefore = ProcessSampler.CpuTime(context.Host.ProcessId);
        var pidBefore = context.Host.ProcessId;
        var clock = Stopwatch.StartNew();

        var load = LoadRun.RunAsync(sender, plan with { Ledger = ledger }, ct);
        await Task.WhenAny(load, Task.Delay(plan.Duration / 3, ct));
        string note;
        string? failed = null;
        try
        {
            note = await fault.InjectAsync(context, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The load still runs and its spans are still checked; the row fails: the fault did not happen as named.
            failed = $"fault not injected: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}";
            note = failed;
        }
        var result = await load;
        var loadEnded = clock.Elapsed;

        var replayed = await fault.RecoverAsync(context, ct);
        var (count, _) = await StoreCheck.WaitForCountAsync(context.Api, ledger.RunId, ledger.Acknowledged, context.DrainLimit, ct);
        var drain = clock.Elapsed - loadEnded;
        // Redeliveries and retries still in flight finish before duplicates are counted.
        await context.Pipeline.WaitForEmptyBacklogAsync(context.DrainLimit, ct);
        var verdict = await StoreCheck.VerifyAsync(context.Api, ledger, ct);
        var audit = await StoreAudit.RunAsync(context.Api, ledger, ct);
        // Only a dead letter holding that very span (this run's id, its trace and span id) excuses a missing span.
        var deadKeys = await context.DeadLetters.SpanKeysAsync(ledger.RunId, ct);
        var missingInDeadLetters = verdict.MissingKeys.LongCount(deadKeys.Contains);
        var natsDead = await context.Pipeline.NatsDeadLettersAsync(ct) - natsDeadBefore;
        var cpu = context.Host.ProcessId == pidBefore ? ProcessSampler.CpuTime(context.Host.ProcessId) - cpuBefore : TimeSpan.Zero;
        var durability = await context.Pipeline.DurabilityAsync(ct);

        var lost = verdict.Missing - missingInDeadLetters;
        var duplicates = audit.Duplicates(viewExcessBefore);
        var notes = new List<string>();
        if (note.Length > 0 && failed is null) notes.Add(note);
        if (fault.RecoveryNote.Length > 0) notes.Add(fault.RecoveryNote);
        if (count < ledger.Acknowledged) notes.Add($"count {count} after the drain limit");
        if (verdict.Duplicates > 0) notes.Add($"{verdict.Duplicates} duplicate rows returned by the export");
        if (audit.DuplicateRows > 0) notes.Add($"{audit.DuplicateRows} rows stored twice (events without FINAL)");
        if (verdict.Unacknowledged > 0) notes.Add($"{verdict.Unacknowledged} stored but never acked (ack lost, request given up)");
        if (natsDead > 0) notes.Add($"{natsDead} NATS dead letters");
        if (deadKeys.Count > 0) notes.Add($"{deadKeys.Count} spans of this run still dead-lettered ({missingInDeadLetters} of them missing from the store)");
        notes.Add($"view check: {audit.SessionsChecked} sessions");
        if (cpu == TimeSpan.Zero) notes.Add("cpu n/a (process restarted)");
        var cores = cpu.TotalSeconds / clock.Elapsed.TotalSeconds;
        return new ChaosRow(
            fault.Name, fault.What, ledger.Sent, ledger.Acknowledged, verdict.Unique, verdict.Rows, duplicates, audit.SessionsOverLedger,
            replayed + deadKeys.Count, replayed, lost, ledger.GaveUp, result.Throttled, drain.TotalSeconds, sampler.PeakMegabytes, cores,
            durability.ToString(), string.Join("; ", notes), failed);
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
    /// <summary>0 (the default): the Host's own bounds (Host.csproj, ClickHouse:Memory); N: DOTNET_GCHeapHardLimit on top.</summary>
    public int HeapLimitMb { get; init; }
    public int RssCeilingMb { get; init; } = 2048;
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
