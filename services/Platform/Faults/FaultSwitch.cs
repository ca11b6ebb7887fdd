namespace HoneyHive.Platform.Faults;

/// <summary>
/// Test-only faults that a load harness switches on for a while (see <see cref="FaultsExtensions"/>).
/// Each fault is a deadline: active while the clock is before it, so a fault always ends by itself,
/// even when the harness that set it dies.
/// </summary>
public sealed class FaultSwitch(TimeProvider clock)
{
    private long analyticsUntil;
    private long analyticsReads;
    private long lostAcksUntil;
    private long lostAcks;

    /// <summary>Whether analytics-store writes (and, if asked, reads) fail now.</summary>
    public bool AnalyticsDown => clock.GetUtcNow().UtcTicks < Interlocked.Read(ref analyticsUntil);

    /// <summary>Whether reads fail too while <see cref="AnalyticsDown"/>.</summary>
    public bool AnalyticsReadsDown => AnalyticsDown && Interlocked.Read(ref analyticsReads) == 1;

    /// <summary>Whether the first ack of each handled batch is dropped now (the batch is redelivered).</summary>
    public bool LoseAcks => clock.GetUtcNow().UtcTicks < Interlocked.Read(ref lostAcksUntil);

    /// <summary>Messages whose ack was dropped so far (each is redelivered once).</summary>
    public long LostAcks => Interlocked.Read(ref lostAcks);

    /// <summary>Make the analytics store fail for <paramref name="duration"/> (zero ends the fault now).</summary>
    public void FailAnalytics(TimeSpan duration, bool reads)
    {
        Interlocked.Exchange(ref analyticsReads, reads ? 1 : 0);
        Interlocked.Exchange(ref analyticsUntil, clock.GetUtcNow().Add(duration).UtcTicks);
    }

    /// <summary>Drop the first ack of every batch handled during <paramref name="duration"/>.</summary>
    public void LoseAcksFor(TimeSpan duration) =>
        Interlocked.Exchange(ref lostAcksUntil, clock.GetUtcNow().Add(duration).UtcTicks);

    /// <summary>Counts messages whose ack was dropped.</summary>
    public void AckLost(int messages) => Interlocked.Add(ref lostAcks, messages);
}

/// <summary>Raised by the analytics store while the test fault is on.</summary>
public sealed class InjectedFaultException(string message) : Exception(message);
