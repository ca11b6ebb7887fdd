using System.Globalization;
using HoneyHive.Bench.Lifecycle;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench quotas`: one Host, the <see cref="NoisyNeighbour"/> measurement. Prints
/// <c>quotas: noisy_neighbour_p99_ratio=… quiet_p99_ms=… quiet_alone_p99_ms=… flood_429=… quiet_refused=…</c>.
/// Goal (reported, not asserted): ratio ≤ 1.5 and quiet_refused = 0. Exits 1 when the quiet project had anything refused
/// or the flooder was never limited (the measurement would not be what its name says).
/// </summary>
public static class QuotasCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        if (args.Length > 0) throw new ArgumentException($"unknown option {args[0]} (bench quotas takes none)");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string>
        {
            // Overrides apply as soon as the sync brings them.
            ["Quotas__OverrideCacheDuration"] = "00:00:01",
        }, ct);
        var result = await new NoisyNeighbour(host).MeasureAsync(ct);

        var results = new List<Measurement>
        {
            new("noisy_neighbour.p99_ratio", "ratio", result.Ratio, "quiet project's ack p99 while the other floods over its p99 alone"),
            new("quiet.flooded.p99", "ms", result.QuietFloodedP99Ms, $"{result.QuietSent} requests of 10 spans at 20/s while the other project floods"),
            new("quiet.alone.p99", "ms", result.QuietAloneP99Ms, "the same requests with nobody else sending (baseline)"),
            new("flood.refused_429", "count", result.Flood429, $"flooder requests answered 429 (quota {result.FloodLimit} spans/s)"),
            new("flood.accepted", "count", result.FloodAccepted, "flooder requests accepted"),
            new("quiet.refused", "count", result.QuietRefused, "quiet requests not answered 200 with every span accepted"),
        };
        await ResultFile.PublishAsync("quotas", startedAt, results, Line(result), ct);
        return result.QuietRefused == 0 && result.Flood429 > 0 ? 0 : 1;
    }

    /// <summary>The one-line summary; <c>bench lifecycle</c> takes the same fields.</summary>
    public static string Line(NoisyNeighbourResult r) => string.Create(CultureInfo.InvariantCulture,
        $"quotas: noisy_neighbour_p99_ratio={r.Ratio:0.00} quiet_p99_ms={r.QuietFloodedP99Ms:0.0} quiet_alone_p99_ms={r.QuietAloneP99Ms:0.0} flood_429={r.Flood429} quiet_refused={r.QuietRefused}");
}
