using System.Collections.Concurrent;
using Dapr.Workflow;

namespace HoneyHive.Workflows.Tests;

public sealed record FanOutInput(int Count, int BatchSize);

/// <summary>The workflows and activities the tests run on the SDK's real worker.</summary>
public static class TestWorkflows
{
    public static void Register(WorkflowRuntimeOptions options)
    {
        options.RegisterWorkflow<SequentialWorkflow>();
        options.RegisterWorkflow<FanOutWorkflow>();
        options.RegisterWorkflow<TimerWorkflow>();
        options.RegisterWorkflow<RetryWorkflow>();
        options.RegisterWorkflow<ApprovalWorkflow>();
        options.RegisterWorkflow<CountingWorkflow>();
        options.RegisterWorkflow<BlockingFanOutWorkflow>();
        options.RegisterActivity<UpperActivity>();
        options.RegisterActivity<ExclaimActivity>();
        options.RegisterActivity<SquareActivity>();
        options.RegisterActivity<FlakyActivity>();
        options.RegisterActivity<GatedActivity>();
    }
}

public sealed class SequentialWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        return await context.CallActivityAsync<string>(nameof(ExclaimActivity), upper);
    }
}

/// <summary>Squares 1..Count in batches of BatchSize, each batch awaited before the next, and sums them.</summary>
public sealed class FanOutWorkflow : Workflow<FanOutInput, long>
{
    public override async Task<long> RunAsync(WorkflowContext context, FanOutInput input)
    {
        long sum = 0;
        foreach (var batch in Enumerable.Range(1, input.Count).Chunk(input.BatchSize))
        {
            var results = await Task.WhenAll(batch.Select(i => context.CallActivityAsync<long>(nameof(SquareActivity), i)));
            sum += results.Sum();
        }
        return sum;
    }
}

public sealed class TimerWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int milliseconds)
    {
        var before = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMilliseconds(milliseconds));
        return context.CurrentUtcDateTime >= before.AddMilliseconds(milliseconds) ? "fired after its time" : "fired early";
    }
}

/// <summary>Calls an activity that fails twice for this instance before it succeeds, under a three-attempt policy.</summary>
public sealed class RetryWorkflow : Workflow<string, int>
{
    public override Task<int> RunAsync(WorkflowContext context, string key) =>
        context.CallActivityAsync<int>(nameof(FlakyActivity), key,
            new WorkflowTaskOptions(new WorkflowRetryPolicy(3, TimeSpan.FromMilliseconds(100), 2.0)));
}

public sealed class ApprovalWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var approver = await context.WaitForExternalEventAsync<string>("approval");
        return $"{input} approved by {approver}";
    }
}

/// <summary>Continues as new until its input reaches 3, so the last execution's output is 3.</summary>
public sealed class CountingWorkflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int n)
    {
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), $"round{n}");
        if (n < 3)
        {
            context.ContinueAsNew(n + 1);
            return -1;
        }
        return upper == "ROUND3" ? n : -2;
    }
}

/// <summary>Fans out Count gated activities at once and sums what they return.</summary>
public sealed class BlockingFanOutWorkflow : Workflow<int, long>
{
    public override async Task<long> RunAsync(WorkflowContext context, int count)
    {
        var results = await Task.WhenAll(Enumerable.Range(1, count).Select(i => context.CallActivityAsync<long>(nameof(GatedActivity), i)));
        return results.Sum();
    }
}

public sealed class UpperActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input.ToUpperInvariant());
}

public sealed class ExclaimActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input) => Task.FromResult(input + "!");
}

/// <summary>Squares its input; counts how many run at once, per instance, so a test can see the batches.</summary>
public sealed class SquareActivity : WorkflowActivity<int, long>
{
    public static readonly ConcurrentDictionary<string, int> Running = new();
    public static readonly ConcurrentDictionary<string, int> MostAtOnce = new();

    public override async Task<long> RunAsync(WorkflowActivityContext context, int input)
    {
        var now = Running.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
        MostAtOnce.AddOrUpdate(context.InstanceId, now, (_, m) => Math.Max(m, now));
        await Task.Yield();
        Running.AddOrUpdate(context.InstanceId, 0, (_, n) => n - 1);
        return (long)input * input;
    }
}

/// <summary>Fails on its first two attempts per key, then returns the number of attempts.</summary>
public sealed class FlakyActivity : WorkflowActivity<string, int>
{
    public static readonly ConcurrentDictionary<string, int> Attempts = new();

    public override Task<int> RunAsync(WorkflowActivityContext context, string key)
    {
        var attempt = Attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (attempt <= 2) throw new InvalidOperationException($"attempt {attempt} fails on purpose");
        return Task.FromResult(attempt);
    }
}

/// <summary>What a gated activity waits on; each test host registers its own.</summary>
public sealed class ActivityGate
{
    private readonly TaskCompletionSource open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int started;

    public int Started => Volatile.Read(ref started);

    public void Open() => open.TrySetResult();

    public async Task PassAsync()
    {
        Interlocked.Increment(ref started);
        await open.Task;
    }
}

/// <summary>Counts its effect once it passes its host's gate, then returns its input.</summary>
public sealed class GatedActivity(ActivityGate gate) : WorkflowActivity<int, long>
{
    public static readonly ConcurrentDictionary<string, int> Effects = new();

    public override async Task<long> RunAsync(WorkflowActivityContext context, int input)
    {
        await gate.PassAsync();
        Effects.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
        return input;
    }
}
