using System.Globalization;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Api.Lifecycle;

/// <summary>
/// <c>archive restore --project P --from D1 --to D2</c>, run by <c>./hh archive restore</c> when the Host is stopped
/// (with chDB one process owns the data folder; with the Host running ./hh calls its route instead). Configuration
/// comes as the Host's does: the settings files named by <c>--settings</c> (the Host's appsettings.json and ./hh's
/// appsettings.Local.json), then the environment.
/// </summary>
public static class ArchiveCommand
{
    private const string Usage = "Usage: archive restore --project <project_id> --from <yyyy-MM-dd> --to <yyyy-MM-dd> [--settings <file.json>]...";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not ["restore", ..])
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"Unexpected argument '{args[i]}'. {Usage}");
                return 2;
            }
            (options.TryGetValue(args[i], out var values) ? values : options[args[i]] = []).Add(args[i + 1]);
        }
        string? One(string name) => options.TryGetValue(name, out var v) ? v[^1] : null;

        if (!Guid.TryParse(One("--project"), out var project))
        {
            await Console.Error.WriteLineAsync($"--project must be a project id (a UUID). {Usage}");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder([]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.Sources.Clear();
        foreach (var file in options.GetValueOrDefault("--settings") ?? []) builder.Configuration.AddJsonFile(Path.GetFullPath(file), optional: false);
        builder.Configuration.AddEnvironmentVariables();
        builder.AddPostgres(DataPlaneApiModule.Database);
        builder.AddAnalyticsStore();
        builder.AddObjectStore();
        builder.AddLifecycle(sweep: false);
        using var host = builder.Build();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        // The route's rules (ArchiveApi.ReadRange), said as a command says them: no request to answer here.
        var maxDays = host.Services.GetRequiredService<IOptions<LifecycleOptions>>().Value.MaxRestoreDays;
        if (Day(One("--from")) is not { } from || Day(One("--to")) is not { } to)
        {
            await Console.Error.WriteLineAsync($"archive restore: --from and --to must be days as yyyy-MM-dd (UTC). {Usage}");
            return 2;
        }
        if (from > to || to.DayNumber - from.DayNumber + 1 > maxDays)
        {
            await Console.Error.WriteLineAsync($"archive restore: send --from <= --to, at most {maxDays} days apart.");
            return 2;
        }

        var days = await host.Services.GetRequiredService<ArchiveRestorer>().RestoreAsync(project, from, to, cancel.Token);
        foreach (var day in days) Console.WriteLine($"{day.Day}\t{day.Status}\t{day.Rows} rows");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"archive restore: project {project} {ArchiveLayout.Day(from)}..{ArchiveLayout.Day(to)}: {days.Where(d => d.Status == ArchiveRestorer.Restored).Sum(d => d.Rows)} rows restored"));
        return 0;
    }

    private static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
