using System.Text.Json;
using HoneyHive.Contracts;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Faults;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Tests.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace HoneyHive.Platform.Tests.Faults;

/// <summary>
/// The batch-subscription faults are decorators of the handler a delivery resolves (keyed by subscription
/// name), present only with <c>Faults:Enabled</c>; the handler itself never sees them.
/// </summary>
public sealed class FaultyBatchHandlerTests
{
    private const string Name = "writer";
    private const string OtherName = "evaluation-dispatcher";

    [Fact]
    public void Without_the_setting_deliveries_get_the_handler_itself()
    {
        using var services = Build(new Dictionary<string, string?>());

        using var scope = services.CreateScope();
        Assert.IsType<RecordingHandler>(scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(Name));
    }

    [Fact]
    public async Task Enabled_lost_acks_hand_back_the_first_deliveries_of_a_handled_batch_for_an_immediate_redelivery()
    {
        using var services = Build(new Dictionary<string, string?> { [FaultsExtensions.EnabledKey] = "true" });
        using var scope = services.CreateScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(Name);
        var inner = services.GetRequiredService<RecordingHandler>();
        var faults = services.GetRequiredService<FaultSwitch>();
        Assert.IsType<LostAckBatchHandler>(handler);
        var first = Message("a", deliveryCount: 1);
        var again = Message("b", deliveryCount: 2);

        // Off: the batch passes through untouched.
        await handler.HandleAsync([first, again], CancellationToken.None);
        Assert.Equal(0, faults.LostAcks);

        faults.LoseAcksFor(TimeSpan.FromMinutes(10));
        var lost = await Assert.ThrowsAsync<RetryLaterException>(() => handler.HandleAsync([first, again], CancellationToken.None));

        var deferred = Assert.Single(lost.Deferred);
        Assert.Same(first, deferred.Message);
        Assert.Equal(TimeSpan.Zero, deferred.Delay);
        Assert.Equal(1, faults.LostAcks);
        // Written before the ack was lost: the inner handler saw the batch both times.
        Assert.Equal(2, inner.Calls.Count);
        Assert.Equal(4, inner.Handled.Count);
    }

    [Fact]
    public async Task Enabled_lost_acks_keep_the_handlers_own_deferrals()
    {
        using var services = Build(new Dictionary<string, string?> { [FaultsExtensions.EnabledKey] = "true" });
        using var scope = services.CreateScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(Name);
        var inner = services.GetRequiredService<RecordingHandler>();
        var waiting = Message("waiting", deliveryCount: 3);
        inner.DeferWhen = m => ReferenceEquals(m, waiting);

        var later = await Assert.ThrowsAsync<RetryLaterException>(() => handler.HandleAsync([Message("done", deliveryCount: 2), waiting], CancellationToken.None));

        Assert.Same(waiting, Assert.Single(later.Deferred).Message);
    }

    [Fact]
    public void Enabled_with_CrashAfterBatch_naming_a_subscription_only_its_handler_is_wrapped_by_the_crash()
    {
        using var services = Build(new Dictionary<string, string?>
        {
            [FaultsExtensions.EnabledKey] = "true",
            [FaultyBatchHandlers.CrashAfterBatchKey] = Name,
        });

        using var scope = services.CreateScope();
        // Not called: it would kill the test process.
        Assert.IsType<CrashingBatchHandler>(scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(Name));
        Assert.IsType<LostAckBatchHandler>(scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(OtherName));
    }

    [Fact]
    public void CrashAfterBatch_without_Faults_Enabled_wraps_nothing()
    {
        using var services = Build(new Dictionary<string, string?> { [FaultyBatchHandlers.CrashAfterBatchKey] = Name });

        using var scope = services.CreateScope();
        Assert.IsType<RecordingHandler>(scope.ServiceProvider.GetRequiredKeyedService<IBatchHandler>(Name));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IAnalyticsStore, NullStore>();
        builder.Services.AddSingleton<RecordingHandler>();
        // Dapr mode: the subscription without a JetStream worker, which would need a NATS server.
        builder.Services.AddBatchSubscription(new BatchSubscription(Name, Topics.EventsIngested, typeof(RecordingHandler)), HostingMode.Dapr);
        builder.Services.AddBatchSubscription(new BatchSubscription(OtherName, Topics.EventsIngested, typeof(RecordingHandler)), HostingMode.Dapr);
        builder.AddTestFaults();
        return builder.Services.BuildServiceProvider();
    }

    private static IncomingMessage Message(string id, int deliveryCount) => new(Topics.EventsIngested, id, "{}"u8.ToArray(), deliveryCount);

    private sealed class NullStore : IAnalyticsStore
    {
        public string Backend => "null";

        public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<JsonElement>>([]);

        public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
