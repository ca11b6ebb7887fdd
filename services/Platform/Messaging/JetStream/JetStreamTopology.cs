using HoneyHive.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Messaging.JetStream;

/// <summary>
/// Creates or updates the streams named in <see cref="Streams.Subjects"/>. Idempotent: every process
/// calls it at start, and consumers wait for it, so no deployment step has to create streams first.
/// </summary>
public sealed class JetStreamTopology(INatsJSContext js, IOptions<MessagingOptions> options, ILogger<JetStreamTopology> logger)
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the streams exist (after <see cref="EnsureStreamsAsync"/> succeeded once).</summary>
    public Task WhenReadyAsync(CancellationToken cancellationToken) => ready.Task.WaitAsync(cancellationToken);

    /// <summary>Create or update every stream with file storage, the duplicate window and the configured limits.</summary>
    public async Task EnsureStreamsAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, subject) in Streams.Subjects)
        {
            var config = StreamConfigFor(name, subject, options.Value);
            var stream = await js.CreateOrUpdateStreamAsync(config, cancellationToken);
            logger.LogInformation(
                "Stream {Stream} ready for {Subject} ({Messages} messages, duplicate window {DuplicateWindow})",
                name, subject, stream.Info.State.Messages, config.DuplicateWindow);
        }

        ready.TrySetResult();
    }

    /// <summary>The configuration a stream is created or updated with.</summary>
    public static StreamConfig StreamConfigFor(string name, string subject, MessagingOptions options)
    {
        var limits = options.LimitsFor(name);
        return new StreamConfig(name, [subject])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.Old,
            DuplicateWindow = options.DuplicateWindow,
            MaxAge = limits.MaxAge > TimeSpan.Zero ? limits.MaxAge : TimeSpan.Zero,
            MaxBytes = limits.MaxBytes > 0 ? limits.MaxBytes : -1,
            MaxMsgs = limits.MaxMsgs > 0 ? limits.MaxMsgs : -1,
            NumReplicas = Math.Max(1, options.Replicas),
        };
    }
}
