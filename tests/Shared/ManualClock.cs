namespace HoneyHive.Tests.Shared;

/// <summary>A clock that moves only when a test says so (refresh intervals, cache lifetimes), starting at the real now.</summary>
public sealed class ManualClock : TimeProvider
{
    private long ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
