namespace HoneyHive.Ingestion.Backpressure;

/// <summary>One read of the Writer's durable consumer (see <see cref="WriterLagProbe"/>).</summary>
/// <param name="At">When it was read (the NATS server's clock, which also stamped the messages).</param>
/// <param name="Deliveries">Deliveries made so far (the consumer sequence of the last delivery).</param>
/// <param name="Undelivered">Messages not delivered yet.</param>
/// <param name="AwaitingAck">Messages delivered and not acknowledged yet.</param>
/// <param name="FloorIsProgress">
/// Every message delivered since the ack floor still awaits its ack: the Writer is working through them in
/// order, so they wait in line like the undelivered ones. False when later messages were acknowledged past a
/// few held ones (an update deferred on purpose until its event is stored, a batch held by a Writer that died
/// until its AckWait): those wait by design and must not stop ingestion.
/// </param>
/// <param name="OldestAge">Age of the oldest message waiting in line; zero when none waits.</param>
public readonly record struct ConsumerReading(
    DateTimeOffset At, ulong Deliveries, long Undelivered, long AwaitingAck, bool FloorIsProgress, TimeSpan OldestAge)
{
    /// <summary>Messages in line in front of one published now.</summary>
    public long Waiting => FloorIsProgress ? Undelivered + AwaitingAck : Undelivered;

    /// <summary>Every message not acknowledged, held ones included (what the hard cap counts).</summary>
    public long Backlog => Undelivered + AwaitingAck;
}

/// <summary>The Writer's lag as the back-pressure sees it after a read.</summary>
/// <param name="Age">How old the oldest message waiting in line is: the lag the Writer has now.</param>
/// <param name="Projected">
/// How long a message published now would wait: the messages in line ÷ the measured drain rate (Little's
/// law). Under overload it grows ahead of <paramref name="Age"/>, so refusing on it refuses before the age
/// crosses the bound. Null until a drain rate is measured (at start, or while the Writer acknowledges nothing).
/// </param>
/// <param name="DrainPerSecond">Messages the Writer completed per second over the rate window, if any.</param>
/// <param name="Backlog">Messages not acknowledged, for the hard cap.</param>
public readonly record struct LagEstimate(TimeSpan Age, TimeSpan? Projected, double? DrainPerSecond, long Backlog)
{
    public static LagEstimate None { get; } = new(TimeSpan.Zero, null, null, 0);

    /// <summary>What the bound is compared with: the larger of the lag now and where it is heading.</summary>
    public TimeSpan Lag => Projected is { } projected && projected > Age ? projected : Age;

    /// <summary>
    /// Whether the lag is over <paramref name="bound"/>: the oldest message is older than it, or it has waited half
    /// of it and the projection goes over. The projection alone does not count: a Writer that was mostly idle
    /// drained at the rate data arrived, not at the rate it can work, so a burst after a quiet spell projects a
    /// long wait that never comes, while under real overload the oldest message ages steadily past half the bound.
    /// </summary>
    public bool Exceeds(TimeSpan bound) => Age > bound || (Age >= bound / 2 && Lag > bound);
}

/// <summary>
/// Turns consecutive reads of one consumer into a lag estimate. The drain rate is taken over a window of
/// reads, not two: the Writer acknowledges a batch at once, so between two polls it is zero or a burst.
/// </summary>
public sealed class WriterLag(TimeSpan rateWindow)
{
    private static readonly TimeSpan LongestProjection = TimeSpan.FromHours(1);
    private readonly Queue<ConsumerReading> window = new();

    public LagEstimate Add(ConsumerReading reading)
    {
        // A recreated consumer starts its deliveries again: earlier reads say nothing about it.
        if (window.Count > 0 && (reading.Deliveries < window.Last().Deliveries || reading.At < window.Last().At)) window.Clear();
        window.Enqueue(reading);
        while (window.Count > 2 && reading.At - window.ElementAt(1).At >= rateWindow) window.Dequeue();

        var first = window.Peek();
        var span = reading.At - first.At;
        double? drain = null;
        TimeSpan? projected = null;
        if (span > TimeSpan.Zero)
        {
            // Completed = delivered in the window minus the growth of what still awaits an ack.
            var completed = (double)(reading.Deliveries - first.Deliveries) - (reading.AwaitingAck - first.AwaitingAck);
            if (completed > 0)
            {
                drain = completed / span.TotalSeconds;
                var seconds = reading.Waiting / drain.Value;
                projected = seconds >= LongestProjection.TotalSeconds ? LongestProjection : TimeSpan.FromSeconds(seconds);
            }
        }
        if (reading.Waiting == 0) projected = TimeSpan.Zero;
        return new LagEstimate(reading.OldestAge, projected, drain, reading.Backlog);
    }
}
