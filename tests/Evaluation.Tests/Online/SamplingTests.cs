using HoneyHive.Evaluation.Online;

namespace HoneyHive.Evaluation.Tests.Online;

public sealed class SamplingTests
{
    private static readonly List<string> EventIds = Enumerable.Range(0, 400).Select(i => $"00000000-0000-4000-8000-{i:D12}").ToList();

    [Fact]
    public void Zero_percent_samples_nothing_and_a_hundred_percent_everything()
    {
        var metric = Guid.NewGuid();
        Assert.DoesNotContain(EventIds, e => Sampling.Sampled(e, metric, 0));
        Assert.All(EventIds, e => Assert.True(Sampling.Sampled(e, metric, 100)));
    }

    [Fact]
    public void Fifty_percent_of_400_events_is_about_half_and_the_same_half_every_time()
    {
        var metric = Guid.Parse("6a1b7c52-8f38-4f0e-9b7e-0d3c2e4f5a61");
        var first = EventIds.Where(e => Sampling.Sampled(e, metric, 50)).ToList();
        var again = EventIds.Where(e => Sampling.Sampled(e, metric, 50)).ToList();
        // Binomial(400, 0.5): mean 200, sd 10; ±50 is five standard deviations.
        Assert.InRange(first.Count, 150, 250);
        Assert.Equal(first, again);
        // Another metric at 50 % samples another half (independent hashes), not the same events.
        var other = EventIds.Where(e => Sampling.Sampled(e, Guid.Parse("1f0e2d3c-4b5a-4697-8877-665544332211"), 50)).ToList();
        Assert.NotEqual(first, other);
    }
}
