using HoneyHive.Bench;
using HoneyHive.Bench.Commands;

// One line per command; each takes the remaining arguments and returns an exit code.
var commands = new Dictionary<string, Func<string[], CancellationToken, Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["limits"] = LimitsCommand.RunAsync,
    ["ingest"] = IngestCommand.RunAsync,
    ["e2e"] = E2eCommand.RunAsync,
    ["logs"] = LogsCommand.RunAsync,
    ["writer"] = WriterCommand.RunAsync,
    ["query"] = QueryCommand.RunAsync,
    ["load"] = LoadCommand.RunAsync,
    ["chaos"] = ChaosCommand.RunAsync,
    ["auth"] = AuthCommand.RunAsync,
    ["python"] = PythonCommand.RunAsync,
    ["proxy"] = ProxyCommand.RunAsync,
    ["eval"] = EvalCommand.RunAsync,
    ["ui"] = UiCommand.RunAsync,
    ["alerts"] = AlertsCommand.RunAsync,
    ["sync"] = SyncCommand.RunAsync,
    ["lifecycle"] = LifecycleCommand.RunAsync,
    ["quotas"] = QuotasCommand.RunAsync,
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    await Console.Error.WriteLineAsync($"usage: bench <{string.Join('|', commands.Keys)}> [options]");
    return 64;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

try
{
    return await command(args[1..], cts.Token);
}
catch (BenchEnvironmentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"bench {args[0]}: {e.Message}");
    return 64;
}
