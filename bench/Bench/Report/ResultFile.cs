using System.Runtime.InteropServices;
using System.Text.Json;

namespace HoneyHive.Bench.Report;

/// <summary>Writes a run's measurements as JSON under bench/results (git-ignored) for comparison across runs.</summary>
public static class ResultFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A figure that could not be measured is NaN (no markers, no backlog to drain): written as "NaN"
        // instead of failing the whole command before its summary line (seen in `bench load`).
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <param name="details">Command-specific data saved beside the measurements (e.g. chaos rows).</param>
    public static async Task<string> WriteAsync(string command, DateTimeOffset startedAt, IReadOnlyList<Measurement> rows, CancellationToken ct, object? details = null)
    {
        var folder = Path.Combine(FindRepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{command}-{startedAt.UtcDateTime:yyyyMMddTHHmmssZ}.json");

        var document = new
        {
            command,
            startedAt = startedAt.UtcDateTime,
            machine = new
            {
                processorCount = Environment.ProcessorCount,
                os = RuntimeInformation.OSDescription,
                runtime = RuntimeInformation.FrameworkDescription,
                loadAverage = LoadAverage(),
            },
            measurements = rows,
            details,
        };
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, document, Options, ct);
        return path;
    }

    /// <summary>
    /// The end of every command: the table, the JSON file, its path, and the one summary line last
    /// (where scripts and CI look for it).
    /// </summary>
    public static async Task PublishAsync(string command, DateTimeOffset startedAt, IReadOnlyList<Measurement> rows, string summary, CancellationToken ct)
    {
        Console.WriteLine();
        ResultTable.Write(Console.Out, rows);
        var path = await WriteAsync(command, startedAt, rows, ct);
        Console.WriteLine();
        Console.WriteLine($"results: {path}");
        Console.WriteLine(summary);
    }

    /// <summary>The 1/5/15-minute load average: the machine is shared, so a slow run says why.</summary>
    public static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    // The bench runs from bin/Release/...; results belong next to the sources, not the build output.
    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "HoneyHive.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
