using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Ingestion.Backpressure;

/// <summary>
/// Reads a durable consumer's position (CONSUMER.INFO) and the stored time of the oldest message waiting on
/// it (STREAM.MSG.GET by sequence, the first message at or after it on the consumer's subject). The stored
/// time is the server's, and so is the read's time (<see cref="ConsumerInfo.Ts"/>): no clock skew between
/// this process and NATS enters the lag. The time of a sequence is cached: the floor moves once per batch.
/// </summary>
public sealed class WriterLagProbe(INatsJSContext js, string stream, TimeProvider clock)
{
    private INatsJSStream? streamHandle;
    private ulong cachedSequence;
    private DateTimeOffset cachedTime;

    /// <summary>The consumer's reading, or null when it does not exist (the Writer has not started: nothing waits on it).</summary>
    public async Task<ConsumerReading?> ReadAsync(string consumer, CancellationToken cancellationToken)
    {
        ConsumerInfo info;
        try
        {
            info = (await js.GetConsumerAsync(stream, consumer, cancellationToken)).Info;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return null;
        }

        var at = info.Ts > DateTimeOffset.UnixEpoch ? info.Ts : clock.GetUtcNow();
        var undelivered = (long)info.NumPending;
        long awaitingAck = info.NumAckPending;
        var floor = info.AckFloor.StreamSeq;
        var delivered = info.Delivered.StreamSeq;
        // Stream sequences between the floor and the last delivery all still await an ack: nothing past a
        // held message was acknowledged. (On a stream shared with other subjects the gap also counts their
        // messages, so this answers false and the lag falls back to the first undelivered message: it never
        // makes the lag larger than it is.)
        var floorIsProgress = awaitingAck > 0 && delivered >= floor && (ulong)awaitingAck >= delivered - floor;
        ulong? oldest = floorIsProgress ? floor + 1 : undelivered > 0 ? delivered + 1 : null;
        var age = TimeSpan.Zero;
        if (oldest is { } sequence && await StoredTimeAsync(sequence, info.Config.FilterSubject, cancellationToken) is { } stored)
            age = at > stored ? at - stored : TimeSpan.Zero;
        return new ConsumerReading(at, info.Delivered.ConsumerSeq, undelivered, awaitingAck, floorIsProgress, age);
    }

    /// <summary>When the first message at or after <paramref name="sequence"/> on <paramref name="subject"/> was stored; null if none is left.</summary>
    private async Task<DateTimeOffset?> StoredTimeAsync(ulong sequence, string? subject, CancellationToken cancellationToken)
    {
        if (sequence == cachedSequence) return cachedTime;
        try
        {
            streamHandle ??= await js.GetStreamAsync(stream, cancellationToken: cancellationToken);
            var response = await streamHandle.GetAsync(new StreamMsgGetRequest { Seq = sequence, NextBySubj = subject ?? ">" }, cancellationToken);
            // The first match at or after a sequence stays the same while the floor stays there.
            cachedSequence = sequence;
            cachedTime = response.Message.Time;
            return response.Message.Time;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            // Gone (removed by the stream's limits) or not stored yet: nothing older waits.
            return null;
        }
    }
}
