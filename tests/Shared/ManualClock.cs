namespace HoneyHive.Tests.Shared;

/// <summary>
/// A clock that moves only when a test says so (refresh intervals, cache lifetimes, key rotation, token expiry),
/// starting at the real now or at <paramref name="start"/>.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public ManualClock()
        : this(DateTimeOffset.UtcNow)
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
