using System.Diagnostics;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Faults;

/// <summary>
/// Test faults around batch subscriptions, as decorators of the <see cref="IBatchHandler"/> each delivery
/// resolves by subscription name: the handlers and the subscription worker never see a fault switch.
/// Registered by <see cref="FaultsExtensions.AddTestFaults"/>, so only when <c>Faults:Enabled</c> is true.
/// </summary>
public static class FaultyBatchHandlers
{
    /// <summary>
    /// The name of one subscription whose handler kills the process (SIGKILL, no cleanup) right after it returned,
    /// before the batch is acked: e.g. the crash window between the Writer's insert and its ack, which must neither
    /// lose nor double events. One subscription only: a crash after another handler (the evaluation dispatcher's)
    /// would kill the Writer anywhere in its batch instead, e.g. between its events and their field counts.
    /// </summary>
    public const string CrashAfterBatchKey = "Faults:CrashAfterBatch";

    /// <summary>Wraps every registered batch handler with the lost-ack fault, and the named subscription's with the crash.</summary>
    public static IHostApplicationBuilder AddFaultyBatchHandlers(this IHostApplicationBuilder builder)
    {
        var crashing = builder.Configuration[CrashAfterBatchKey];
        builder.Services.DecorateBatchHandlers((sp, subscription, inner) =>
        {
            var logs = sp.GetRequiredService<ILoggerFactory>();
            IBatchHandler handler = new LostAckBatchHandler(inner, sp.GetRequiredService<FaultSwitch>(), logs.CreateLogger<LostAckBatchHandler>());
            return subscription == crashing ? new CrashingBatchHandler(handler, logs.CreateLogger<CrashingBatchHandler>()) : handler;
        });
        return builder;
    }

    /// <summary>Replaces each subscription's keyed <see cref="IBatchHandler"/> with <paramref name="decorate"/> (given the subscription's name) around it.</summary>
    public static IServiceCollection DecorateBatchHandlers(this IServiceCollection services, Func<IServiceProvider, string?, IBatchHandler, IBatchHandler> decorate)
    {
        var handlers = services.Where(d => d.ServiceType == typeof(IBatchHandler) && d.IsKeyedService && d.KeyedImplementationFactory is not null).ToList();
        foreach (var original in handlers)
        {
            var inner = original.KeyedImplementationFactory!;
            services.Remove(original);
            services.Add(new ServiceDescriptor(typeof(IBatchHandler), original.ServiceKey,
                (sp, key) => decorate(sp, key as string, (IBatchHandler)inner(sp, key)), original.Lifetime));
        }

        return services;
    }
}

/// <summary>
/// While <see cref="FaultSwitch.LoseAcks"/>: a handled batch's first deliveries are handed back for an
/// immediate redelivery instead of being acked, as if the ack had been lost, so the handler sees batches
/// it has already written.
/// </summary>
public sealed class LostAckBatchHandler(IBatchHandler inner, FaultSwitch faults, ILogger<LostAckBatchHandler> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        RetryLaterException? deferredByHandler = null;
        try
        {
            await inner.HandleAsync(batch, cancellationToken);
        }
        catch (RetryLaterException later)
        {
            deferredByHandler = later;
        }

        var lost = faults.LoseAcks
            ? batch.Where(m => m.DeliveryCount == 1 && deferredByHandler?.Defers(m) != true).Select(m => new DeferredMessage(m, TimeSpan.Zero)).ToList()
            : [];
        if (lost.Count == 0)
        {
            if (deferredByHandler is not null) throw deferredByHandler;
            return;
        }

        faults.AckLost(lost.Count);
        logger.LogWarning("Test fault: dropped the ack of {Count} handled messages; they will be redelivered", lost.Count);
        throw new RetryLaterException([.. deferredByHandler?.Deferred ?? [], .. lost], "test fault: ack lost");
    }
}

/// <summary>Kills the process (SIGKILL) once the inner handler returned, before the subscription acks the batch.</summary>
public sealed class CrashingBatchHandler(IBatchHandler inner, ILogger<CrashingBatchHandler> logger) : IBatchHandler
{
    public async Task HandleAsync(IReadOnlyList<IncomingMessage> batch, CancellationToken cancellationToken)
    {
        await inner.HandleAsync(batch, cancellationToken);
        logger.LogCritical("Test fault {Key}: killing the process before the ack", FaultyBatchHandlers.CrashAfterBatchKey);
        using var self = Process.GetCurrentProcess();
        self.Kill();
    }
}
