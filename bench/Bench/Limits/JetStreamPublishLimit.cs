using System.Diagnostics;
using HoneyHive.Bench.Report;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// Durable JetStream publish through NATS.Net directly: file storage, dedup window on and a
/// Nats-Msg-Id per message (as the Ingestion publisher does), many acks in flight.
/// </summary>
public sealed class JetStreamPublishLimit : ILimit
{
    public const string SmallMessageName = "jetstream.publish.1KB";
    public const string LargeMessageName = "jetstream.publish.100KB";

    private const int InFlight = 512;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(4);

    public string Name => "jetstream publish";

    public IReadOnlyList<string> RequiredEnvironment => [BenchEnvironment.NatsUrlVariable];

    public async Task<IReadOnlyList<Measurement>> MeasureAsync(CancellationToken ct)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = BenchEnvironment.NatsUrl, Name = "hh-bench-limits" });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);

        // A stream of its own on a unique subject, so the bench never touches the platform's streams.
        var runId = Guid.NewGuid().ToString("N")[..12];
        var streamName = $"BENCH_LIMITS_{runId}";
        var subjectRoot = $"bench.limits.{runId}";
        await js.CreateStreamAsync(
            new StreamConfig(streamName, [$"{subjectRoot}.>"])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = TimeSpan.FromMinutes(2),
                // Keeps the disk bounded at ~4 s of 100 KB messages; discarding old ones costs nothing measurable.
                MaxBytes = 1L << 30,
                Discard = StreamConfigDiscard.Old,
            },
            ct);

        try
        {
            var results = new List<Measurement>();
            results.AddRange(await MeasureSizeAsync(js, $"{subjectRoot}.small", SmallMessageName, 1024, ct));
            results.AddRange(await MeasureSizeAsync(js, $"{subjectRoot}.large", LargeMessageName, 100 * 1024, ct));
            return results;
        }
        finally
        {
            await js.DeleteStreamAsync(streamName, CancellationToken.None);
        }
    }

    public static async Task<Measurement[]> MeasureSizeAsync(INatsJSContext js, string subject, string name, int size, CancellationToken ct)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        await PublishForAsync(js, subject, payload, WarmUp, $"{subject}.warm", ct);
        var (count, elapsed) = await PublishForAsync(js, subject, payload, Measure, $"{subject}.run", ct);

        var note = $"{count:N0} msgs in {elapsed.TotalSeconds:0.00} s, {InFlight} in flight, file store, Nats-Msg-Id dedup";
        return
        [
            new Measurement(name, "msgs/s", Rates.PerSecond(count, elapsed), note),
            new Measurement(name, "MB/s", Rates.MegabytesPerSecond(count * size, elapsed)),
        ];
    }

    // A ring of pending acks: the next publish waits only for the ack sent InFlight messages ago.
    private static async Task<(long Count, TimeSpan Elapsed)> PublishForAsync(
        INatsJSContext js, string subject, byte[] payload, TimeSpan duration, string idPrefix, CancellationToken ct)
    {
        var pending = new ValueTask<PubAckResponse>[InFlight];
        long sent = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            var slot = (int)(sent % InFlight);
            if (sent >= InFlight)
            {
                EnsureStored(await pending[slot]);
            }

            // Each stored ValueTask is awaited exactly once, above or in the drain below; AsTask would
            // add an allocation per message to what is being measured.
#pragma warning disable CA2012
            pending[slot] = js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = $"{idPrefix}.{sent}" }, cancellationToken: ct);
#pragma warning restore CA2012
            sent++;
        }

        for (var i = Math.Max(0, sent - InFlight); i < sent; i++)
        {
            EnsureStored(await pending[(int)(i % InFlight)]);
        }

        sw.Stop();
        return (sent, sw.Elapsed);
    }

    private static void EnsureStored(PubAckResponse ack)
    {
        ack.EnsureSuccess();
        if (ack.Duplicate)
        {
            throw new InvalidOperationException($"JetStream reported a duplicate for a unique Nats-Msg-Id (seq {ack.Seq}).");
        }
    }
}
