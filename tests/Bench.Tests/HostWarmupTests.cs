using HoneyHive.Bench.Ingest;
using Window = HoneyHive.Bench.Ingest.HostWarmup.WindowSample;

namespace HoneyHive.Bench.Tests;

/// <summary>
/// When `bench ingest` stops warming a fresh Host. The windows are the ones a fresh Host gave on
/// 2026-12-06 (host CPU µs per span, of which its tiered-compilation thread's).
/// </summary>
[Trait("Servers", "None")]
public class HostWarmupTests
{
    [Fact]
    public void A_flat_cpu_per_span_is_not_warm_while_the_jit_is_still_tiering_up()
    {
        // Windows 3-5 of the HTTP warm-up: within 10 % of each other, then the cost fell to a quarter.
        Window[] plateau = [new(94.3, 12.6), new(85.9, 7.7), new(88.4, 8.6)];

        Assert.False(HostWarmup.Settled(plateau));
    }

    [Fact]
    public void A_quiet_jit_is_not_warm_while_cpu_per_span_still_falls()
    {
        Window[] falling = [new(39.9, 0.2), new(31.5, 0.2), new(28.6, 0.2)];

        Assert.False(HostWarmup.Settled(falling));
    }

    [Fact]
    public void Two_flat_windows_with_a_quiet_jit_are_warm()
    {
        Window[] steady = [new(26.5, 0.5), new(23.4, 0.3), new(23.5, 0.2), new(23.8, 0.2)];

        Assert.True(HostWarmup.Settled(steady));
    }

    [Fact]
    public void One_flat_window_after_a_fall_is_not_yet_warm()
    {
        // The last window alone matches its predecessor; the one before it still fell by 12 %.
        Window[] justLanded = [new(26.7, 0.5), new(23.5, 0.3), new(23.8, 0.2)];

        Assert.False(HostWarmup.Settled(justLanded));
    }
}
