namespace HoneyHive.Bench.Limits;

/// <summary>Rate arithmetic shared by the limits; MB means 10^6 bytes, KB payloads are 1024 bytes.</summary>
public static class Rates
{
    public static double PerSecond(long count, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? 0 : count / elapsed.TotalSeconds;

    public static double MegabytesPerSecond(long bytes, TimeSpan elapsed) =>
        PerSecond(bytes, elapsed) / 1_000_000d;
}
