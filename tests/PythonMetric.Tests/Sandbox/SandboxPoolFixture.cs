using HoneyHive.PythonMetric.Pool;

namespace HoneyHive.PythonMetric.Tests.Sandbox;

/// <summary>
/// One real pool shared by a test class: a single worker, so that a case run for tenant B lands on the
/// worker tenant A just used (the cross-tenant cases depend on it), with numpy and pandas preloaded.
/// </summary>
public sealed class SandboxPoolFixture : IAsyncLifetime
{
    public PythonWorkerPool Pool { get; } = PoolTests.NewPool(o =>
    {
        o.Workers = 1;
        o.Preload = ["numpy", "pandas"];
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Pool.DisposeAsync();
}
