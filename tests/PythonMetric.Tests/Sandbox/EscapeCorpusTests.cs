using HoneyHive.Contracts.PythonMetrics;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>
/// Every file of Corpus/escape runs through the real pool and ends as its header says; after each, an
/// honest metric on the same pool still runs clean.
/// </summary>
public sealed class EscapeCorpusTests(SandboxPoolFixture fixture) : IClassFixture<SandboxPoolFixture>
{
    private const string Honest = "def metric(event):\n    return len(event['outputs']['content'])\n";

    public static TheoryData<string> Cases() => [.. CorpusCase.Names("escape")];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_escape_case_ends_as_its_header_says_and_an_honest_metric_runs_after_it(string name)
    {
        var @case = CorpusCase.Load("escape", name);
        var pool = fixture.Pool;

        if (@case.TenantBSource is { } tenantB)
            await RunTenantsOnOneWorkerAsync(@case, tenantB);
        else
            CorpusCase.AssertOutcome(name, @case.Expect, await pool.RunAsync(@case.Request("tenant-a", @case.Source), default));

        var honest = await pool.RunAsync(PoolTests.Request(Honest, project: "honest"), default);
        Assert.True(honest.Success, $"{name}: the honest metric after it failed: {honest.ErrorCode} {honest.Message}");
        Assert.Equal(5, (double)honest.Result!);
    }

    /// <summary>
    /// Tenant A's run, then tenant B's on the same worker. Should the pool replace its worker between the
    /// two (a recycle after N runs), the pair runs again: B must see A's attempt on A's own worker.
    /// </summary>
    private async Task RunTenantsOnOneWorkerAsync(CorpusCase @case, string tenantB)
    {
        var pool = fixture.Pool;
        for (var attempt = 1; ; attempt++)
        {
            var workersBefore = pool.Stats.Started;
            var first = await pool.RunAsync(@case.Request("tenant-a", @case.Source), default);
            var afterA = pool.Stats.Started;
            var second = await pool.RunAsync(@case.Request("tenant-b", tenantB), default);
            if (pool.Stats.Started != afterA && attempt < 2) continue;

            Assert.Equal(afterA, pool.Stats.Started);
            Assert.True(afterA - workersBefore <= 1, "tenant A's run started more than one worker");
            CorpusCase.AssertOutcome(@case.Name, @case.Expect, first);
            CorpusCase.AssertOutcome(@case.Name + " (tenant B)", @case.Header["then-expect"], second);
            return;
        }
    }

    [Fact]
    public void The_escape_corpus_has_at_least_sixty_cases_each_with_an_expected_outcome_and_controls_for_every_library()
    {
        var cases = CorpusCase.Names("escape").Select(n => CorpusCase.Load("escape", n)).ToList();
        Assert.True(cases.Count >= 60, $"only {cases.Count} cases");
        Assert.All(cases, c => Assert.Matches(@"^(value: .+|(compilation_error|execution_error|invalid_return_error)(: .+)?)$", c.Expect));
        Assert.All(cases.Where(c => c.TenantBSource is not null), c => Assert.True(c.Header.ContainsKey("then-expect"), c.Name));
        Assert.All(cases, c => Assert.True(c.Header.ContainsKey("attack") || c.Header.ContainsKey("control"), $"{c.Name} names no attack or control"));

        string[] libraries = ["math", "statistics", "re", "json", "datetime", "collections", "itertools", "functools", "numpy",
            "pandas", "sklearn_f1", "sklearn_accuracy", "jsonschema", "difflib", "string"];
        var controls = cases.Where(c => c.Name.StartsWith("control_", StringComparison.Ordinal)).Select(c => c.Name).ToHashSet();
        Assert.All(libraries, l => Assert.Contains("control_" + l, controls));
        string[] returnTypes = ["float", "boolean", "string", "categorical"];
        Assert.All(returnTypes, t => Assert.Contains(cases, c => c.Expect.StartsWith("value:", StringComparison.Ordinal)
            && c.Header.GetValueOrDefault("return_type", "float") == t));
        Assert.Contains(PythonMetricErrorCodes.InvalidReturn, cases.Select(c => c.Expect.Split(':')[0]));
    }
}
