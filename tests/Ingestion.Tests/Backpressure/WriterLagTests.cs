using HoneyHive.Ingestion.Backpressure;

namespace HoneyHive.Ingestion.Tests.Backpressure;

/// <summary>The estimate back-pressure decides on, from consecutive reads of the Writer's consumer.</summary>
[Trait("Servers", "None")]
public sealed class WriterLagTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static ConsumerReading At(double seconds, ulong deliveries, long undelivered, long awaitingAck, double oldestAge, bool floorIsProgress = true) =>
        new(T0.AddSeconds(seconds), deliveries, undelivered, awaitingAck, floorIsProgress, TimeSpan.FromSeconds(oldestAge));

    [Fact]
    public void A_growing_backlog_projects_a_lag_over_the_bound_while_the_oldest_message_is_still_young()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        // The Writer completes 100 messages a second while 300 a second arrive.
        lag.Add(At(0, deliveries: 0, undelivered: 0, awaitingAck: 0, oldestAge: 0));
        lag.Add(At(1, deliveries: 100, undelivered: 200, awaitingAck: 0, oldestAge: 0.7));
        var estimate = lag.Add(At(2, deliveries: 200, undelivered: 400, awaitingAck: 0, oldestAge: 1.3));

        Assert.Equal(100, estimate.DrainPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(4), estimate.Projected);
        Assert.Equal(TimeSpan.FromSeconds(1.3), estimate.Age);
        Assert.Equal(TimeSpan.FromSeconds(4), estimate.Lag);
    }

    [Fact]
    public void A_projection_over_the_bound_counts_only_once_the_oldest_message_has_waited_half_of_it()
    {
        var bound = TimeSpan.FromSeconds(10);
        // A Writer that drained 1 message a second (the rate data came at) now sees a burst of 40: projected 40 s.
        var burst = new LagEstimate(TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(40), 1, 40);
        var overload = burst with { Age = TimeSpan.FromSeconds(5) };
        var stuck = new LagEstimate(TimeSpan.FromSeconds(11), null, null, 3);

        Assert.False(burst.Exceeds(bound));
        Assert.True(overload.Exceeds(bound));
        Assert.True(stuck.Exceeds(bound));
        Assert.False((overload with { Projected = TimeSpan.FromSeconds(9) }).Exceeds(bound));
    }

    [Fact]
    public void Without_a_measured_drain_rate_the_lag_is_the_age_of_the_oldest_waiting_message()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        // A Writer that takes nothing: deliveries never move.
        lag.Add(At(0, deliveries: 10, undelivered: 5, awaitingAck: 0, oldestAge: 1));
        var estimate = lag.Add(At(3, deliveries: 10, undelivered: 50, awaitingAck: 0, oldestAge: 4));

        Assert.Null(estimate.Projected);
        Assert.Equal(TimeSpan.FromSeconds(4), estimate.Lag);
        Assert.Equal(50, estimate.Backlog);
    }

    [Fact]
    public void A_caught_up_consumer_has_no_lag_whatever_it_delivered_before()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        lag.Add(At(0, deliveries: 1_000_000, undelivered: 0, awaitingAck: 0, oldestAge: 0));
        var estimate = lag.Add(At(1, deliveries: 1_000_500, undelivered: 0, awaitingAck: 0, oldestAge: 0));

        Assert.Equal(TimeSpan.Zero, estimate.Lag);
        Assert.Equal(0, estimate.Backlog);
    }

    [Fact]
    public void Messages_held_past_the_floor_count_in_the_backlog_but_not_in_the_line_a_new_message_waits_in()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        // Three updates deferred until their events exist hold the ack floor; everything after them is acknowledged.
        lag.Add(At(0, deliveries: 100, undelivered: 0, awaitingAck: 3, oldestAge: 0, floorIsProgress: false));
        var estimate = lag.Add(At(1, deliveries: 110, undelivered: 0, awaitingAck: 3, oldestAge: 0, floorIsProgress: false));

        Assert.Equal(TimeSpan.Zero, estimate.Lag);
        Assert.Equal(3, estimate.Backlog);
    }

    [Fact]
    public void The_drain_rate_counts_completions_not_deliveries_still_awaiting_their_ack()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        lag.Add(At(0, deliveries: 0, undelivered: 100, awaitingAck: 0, oldestAge: 0.5));
        // 200 delivered in 2 s, 150 of them still in the Writer's hands: 50 completed, 25 a second.
        var estimate = lag.Add(At(2, deliveries: 200, undelivered: 50, awaitingAck: 150, oldestAge: 2));

        Assert.Equal(25, estimate.DrainPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(8), estimate.Projected);
    }

    [Fact]
    public void A_recreated_consumer_starts_its_rate_afresh()
    {
        var lag = new WriterLag(TimeSpan.FromSeconds(4));
        lag.Add(At(0, deliveries: 5000, undelivered: 0, awaitingAck: 0, oldestAge: 0));
        var estimate = lag.Add(At(1, deliveries: 10, undelivered: 20, awaitingAck: 0, oldestAge: 0.5));

        Assert.Null(estimate.DrainPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(0.5), estimate.Lag);
    }
}
