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

        var result = await pool.RunAsync(@case.Request("tenant-a", @case.Source), default);
        CorpusCase.AssertOutcome(name, @case.Expect, result);

        if (@case.TenantBSource is { } tenantB)
        {
            // Same worker: the pool has one, and no replacement was started by tenant A's run.
            var workersBefore = pool.WorkersStarted;
            var second = await pool.RunAsync(@case.Request("tenant-b", tenantB), default);
            Assert.Equal(workersBefore, pool.WorkersStarted);
            CorpusCase.AssertOutcome(name + " (tenant B)", @case.Header["then-expect"], second);
        }

        var honest = await pool.RunAsync(PoolTests.Request(Honest, project: "honest"), default);
        Assert.True(honest.Success, $"{name}: the honest metric after it failed: {honest.ErrorCode} {honest.Message}");
        Assert.Equal(5, (double)honest.Result!);
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
