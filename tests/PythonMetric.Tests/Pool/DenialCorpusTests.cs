using System.Text.Json.Nodes;
using HoneyHive.Contracts.PythonMetrics;
using HoneyHive.PythonMetric.Pool;

namespace HoneyHive.PythonMetric.Tests.Pool;

/// <summary>
/// The denial corpus (Corpus/denial/*.py) through a real pool with a short time limit: each case ends in
/// its header's outcome within its limit, the next honest metric runs clean, and the pool's stats show
/// the worker that was killed replaced.
/// </summary>
public sealed class DenialCorpusTests(DenialPoolFixture fixture) : IClassFixture<DenialPoolFixture>
{
    public static TheoryData<string> Cases => [.. DenialCase.Names()];

    [Fact]
    public void The_corpus_has_at_least_twenty_cases_each_with_an_attack_and_an_expected_outcome()
    {
        Assert.True(DenialCase.Names().Count() >= 20);
        Assert.All(DenialCase.Names().Select(DenialCase.Load), c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Header.GetValueOrDefault("attack")), c.Name);
            Assert.Contains(c.Expect.Split(':')[0], PythonMetricErrorCodes.All);
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_denial_case_is_contained_and_the_next_honest_metric_runs_clean(string name)
    {
        var pool = fixture.Pool;
        await pool.WarmAsync(default);
        var before = pool.Stats;
        var denial = DenialCase.Load(name);

        var result = await pool.RunAsync(denial.Request(), default);

        var expect = denial.Expect;
        DenialCase.AssertOutcome(name, expect, result);
        var honest = await pool.RunAsync(PoolTests.Request(PoolTests.Honest, project: "honest"), default);
        Assert.True(honest.Success, honest.Message);
        Assert.Equal(5, (double)honest.Result!);

        await pool.WarmAsync(default);
        var after = pool.Stats;
        var killed = after.KilledForTimeout - before.KilledForTimeout;
        var crashed = after.Crashed - before.Crashed;
        Assert.Equal(expect.StartsWith(PythonMetricErrorCodes.Timeout, StringComparison.Ordinal) ? 1 : 0, killed);
        Assert.Equal(killed + crashed, after.Started - before.Started);
        Assert.Equal(before.Ready, after.Ready);
    }
}

/// <summary>The corpus's pool: two workers and a spare, a short time limit, a small memory limit.</summary>
public sealed class DenialPoolFixture : IAsyncLifetime
{
    public PythonWorkerPool Pool { get; } = PoolTests.NewPool(o =>
    {
        (o.Workers, o.Spares, o.MemoryMb) = (2, 1, 256);
        o.Preload = ["numpy"];
    });

    public Task InitializeAsync() => Pool.WarmAsync(default);

    public async Task DisposeAsync() => await Pool.DisposeAsync();
}

/// <summary>
/// One corpus file. Header lines before the code: <c># attack:</c> what it tries, <c># expect:</c> the outcome
/// (an error code and an optional message fragment), <c># return_type:</c>, <c># timeout_ms:</c> (see <see cref="Request"/>).
/// </summary>
public sealed record DenialCase(string Name, string Source, IReadOnlyDictionary<string, string> Header)
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Corpus", "denial");

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.py").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    public static DenialCase Load(string name)
    {
        var text = File.ReadAllText(Path.Combine(Folder, name + ".py")).ReplaceLineEndings("\n");
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').TakeWhile(l => l.StartsWith("# ", StringComparison.Ordinal)))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 2) header.TryAdd(line[2..colon].Trim(), line[(colon + 1)..].Trim());
        }

        return new DenialCase(name, text, header);
    }

    public string Expect => Header["expect"];

    /// <summary>
    /// A case expected to time out gets the short limit (1.5 s); the others 10 s, so that a loaded machine (the
    /// other test classes run alongside) cannot turn their outcome into a timeout.
    /// </summary>
    public PythonMetricRunRequest Request() =>
        new("hostile", "denial-" + Name, "metric", Source, Header.GetValueOrDefault("return_type", "float"), null,
            new JsonObject { ["outputs"] = new JsonObject { ["content"] = "hello" } },
            int.Parse(Header.GetValueOrDefault("timeout_ms", Header["expect"].StartsWith(PythonMetricErrorCodes.Timeout, StringComparison.Ordinal) ? "1500" : "10000")));

    public static void AssertOutcome(string name, string expectation, PythonMetricRunResult result)
    {
        var colon = expectation.IndexOf(':', StringComparison.Ordinal);
        var code = colon < 0 ? expectation : expectation[..colon].Trim();
        var fragment = colon < 0 ? "" : expectation[(colon + 1)..].Trim();
        var shown = $"{name}: {result.ErrorCode} {result.Message}";
        Assert.False(result.Success, shown);
        Assert.Equal(code, result.ErrorCode);
        Assert.Contains(fragment, result.Message ?? "", StringComparison.Ordinal);
    }
}
