using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;

namespace HoneyHive.Writer.DeadLetters;

/// <summary>
/// <c>dlq list</c> and <c>dlq replay [--publish]</c>, run by <c>./hh dlq</c> with the same configuration
/// (environment) as the Host. Direct replay opens the analytics store itself, so with chDB the Host must
/// be stopped; <c>--publish</c> puts the messages back on the message log for the running Writer.
/// </summary>
public static class DeadLetterCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.FirstOrDefault();
        var publish = args.Contains("--publish");
        if (command is not ("list" or "replay"))
        {
            await Console.Error.WriteLineAsync("Usage: dlq list | dlq replay [--publish]");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(args.Where(a => !a.StartsWith("--publish", StringComparison.Ordinal)).Skip(1).ToArray());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddObjectStore();
        if (command == "replay" && publish)
        {
            var url = builder.Configuration.GetConnectionString(MessagingExtensions.NatsConnectionName)
                ?? throw new InvalidOperationException("Set ConnectionStrings:nats to replay through the message log.");
            builder.Services.AddJetStream(url, "hh-dlq");
        }
        else if (command == "replay")
        {
            builder.AddAnalyticsStore();
        }

        builder.AddWriterCore();
        using var host = builder.Build();
        var letters = host.Services.GetRequiredService<DeadLetterStore>();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        if (command == "list")
        {
            var count = 0;
            await foreach (var key in letters.ListAsync(cancel.Token))
            {
                var letter = await letters.ReadAsync(key, cancel.Token);
                Console.WriteLine($"{key}\t{letter?.FailedAt:O}\t{letter?.Messages.Count} messages\t{letter?.Reason}");
                count++;
            }

            Console.WriteLine($"dlq: {count} dead letters");
            return 0;
        }

        if (publish)
        {
            // The stream must exist before publishing; the provisioner runs as a hosted service.
            await host.StartAsync(cancel.Token);
        }

        var results = await host.Services.GetRequiredService<DeadLetterReplayer>().ReplayAsync(publish, cancel.Token);
        foreach (var result in results)
            Console.WriteLine(result.Error is null ? $"replayed\t{result.Key}\t{result.Events} events" : $"failed\t{result.Key}\t{result.Error}");
        var failed = results.Count(r => r.Error is not null);
        Console.WriteLine($"dlq: replayed={results.Count - failed} failed={failed} events={results.Where(r => r.Error is null).Sum(r => r.Events)}");
        if (publish) await host.StopAsync(CancellationToken.None);
        return failed == 0 ? 0 : 1;
    }
}
