using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.ServiceDefaults.Quotas;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HoneyHive.DataPlane.Tests.Quotas;

/// <summary>
/// The quota limiter against the real Redis and a dpdb migrated by the production scripts. Every test has its own key
/// prefix and projects, so runs in parallel share nothing. Rates are tiny (1 item/s) and buckets large, so the refill
/// during a test (a few tokens at most) cannot turn a refusal the test expects into an admission.
/// </summary>
public sealed class QuotaLimiterTests : IAsyncLifetime
{
    private readonly string prefix = $"hh-quota-test-{Guid.NewGuid():N}:";
    private readonly ApiKeyIdentity projectA = Tenant("a");
    private readonly ApiKeyIdentity projectB = Tenant("b");
    private readonly List<IDisposable> disposables = [];
    private FreshDpdb dpdb = null!;
    private ConnectionMultiplexer redis = null!;

    private static ApiKeyIdentity Tenant(string name) =>
        new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "quota-" + name, ["ingest"]);

    public async Task InitializeAsync()
    {
        dpdb = await FreshDpdb.CreateAsync("hh_quota_", [projectA, projectB]);
        redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in disposables) disposable.Dispose();
        await redis.DisposeAsync();
        await dpdb.DisposeAsync();
    }

    /// <summary>Defaults of this test: 1 item/s with a bucket of 100, no daily limit, 3 API requests a minute.</summary>
    private static QuotaOptions Options(long perSecond = 1, double burstSeconds = 100, long perDay = 0, long apiPerMinute = 3) => new()
    {
        IngestSpansPerSecond = perSecond,
        IngestBurstSeconds = burstSeconds,
        IngestSpansPerDay = perDay,
        ApiRequestsPerMinute = apiPerMinute,
        OverrideCacheDuration = TimeSpan.Zero,
    };

    private RedisQuotaLimiter Limiter(QuotaOptions options, IConnectionMultiplexer? connection = null, TimeProvider? clock = null, ILogger<RedisQuotaLimiter>? logger = null)
    {
        var cache = new MemoryCache(new MemoryCacheOptions());
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        disposables.Add(cache);
        disposables.Add(services);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["State:KeyPrefix"] = prefix }).Build();
        return new RedisQuotaLimiter(connection ?? redis, new ProjectQuotas(dpdb.DataSource, cache, options, NullLogger<ProjectQuotas>.Instance),
            options, clock ?? TimeProvider.System, configuration, services.GetRequiredService<IMeterFactory>(), logger ?? NullLogger<RedisQuotaLimiter>.Instance);
    }

    [Fact]
    public async Task A_request_over_the_remaining_tokens_is_refused_whole_with_a_sane_Retry_After_and_consumes_nothing()
    {
        var limiter = Limiter(Options());
        var project = projectA.ProjectId;

        var first = await limiter.AdmitIngestAsync(project, 60, CancellationToken.None);
        var over = await limiter.AdmitIngestAsync(project, 50, CancellationToken.None);
        var rest = await limiter.AdmitIngestAsync(project, 40, CancellationToken.None);
        var empty = await limiter.AdmitIngestAsync(project, 30, CancellationToken.None);

        Assert.True(first.Admitted);
        Assert.False(over.Admitted);
        Assert.Equal(QuotaLimits.IngestSpansPerSecond, over.Limit);
        Assert.Equal(1, over.LimitValue);
        // 40 tokens left of the 50 asked, at 1 a second: about 10 s (less whatever refilled meanwhile), never 0 nor more.
        Assert.InRange(over.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.InRange(over.Seconds, 1, 10);
        Assert.Contains(project.ToString(), over.Describe(project), StringComparison.Ordinal);
        // The refused 50 took nothing: the 40 left are all there.
        Assert.True(rest.Admitted);
        Assert.False(empty.Admitted);
    }

    [Fact]
    public async Task Each_project_has_its_own_budget()
    {
        var limiter = Limiter(Options());

        Assert.True((await limiter.AdmitIngestAsync(projectA.ProjectId, 100, CancellationToken.None)).Admitted);
        Assert.False((await limiter.AdmitIngestAsync(projectA.ProjectId, 20, CancellationToken.None)).Admitted);

        Assert.True((await limiter.AdmitIngestAsync(projectB.ProjectId, 100, CancellationToken.None)).Admitted);
    }

    [Fact]
    public async Task A_request_larger_than_the_bucket_is_admitted_when_the_bucket_is_full_and_leaves_it_in_debt()
    {
        var limiter = Limiter(Options(burstSeconds: 10));

        var large = await limiter.AdmitIngestAsync(projectA.ProjectId, 50, CancellationToken.None);
        var next = await limiter.AdmitIngestAsync(projectA.ProjectId, 1, CancellationToken.None);

        Assert.True(large.Admitted);
        Assert.False(next.Admitted);
        // 40 tokens of debt and one more to take: about 41 s at 1 a second.
        Assert.InRange(next.Seconds, 30, 41);
    }

    [Fact]
    public async Task Two_replicas_with_connections_of_their_own_draw_on_one_budget()
    {
        await using var otherConnection = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var replica1 = Limiter(Options());
        var replica2 = Limiter(Options(), otherConnection);

        Assert.True((await replica1.AdmitIngestAsync(projectA.ProjectId, 60, CancellationToken.None)).Admitted);
        Assert.False((await replica2.AdmitIngestAsync(projectA.ProjectId, 50, CancellationToken.None)).Admitted);
        Assert.True((await replica2.AdmitIngestAsync(projectA.ProjectId, 40, CancellationToken.None)).Admitted);
        Assert.False((await replica1.AdmitIngestAsync(projectA.ProjectId, 10, CancellationToken.None)).Admitted);

        // Per key as well: 3 a minute between both replicas.
        Assert.True((await replica1.AdmitApiRequestAsync(projectA.ProjectId, "key:1", CancellationToken.None)).Admitted);
        Assert.True((await replica2.AdmitApiRequestAsync(projectA.ProjectId, "key:1", CancellationToken.None)).Admitted);
        Assert.True((await replica1.AdmitApiRequestAsync(projectA.ProjectId, "key:1", CancellationToken.None)).Admitted);
        Assert.False((await replica2.AdmitApiRequestAsync(projectA.ProjectId, "key:1", CancellationToken.None)).Admitted);
    }

    [Fact]
    public async Task The_daily_volume_is_refused_when_used_up_and_comes_back_the_next_UTC_day()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero));
        var limiter = Limiter(Options(perSecond: 0, perDay: 100), clock: clock);

        var morning = await limiter.AdmitIngestAsync(projectA.ProjectId, 80, CancellationToken.None);
        var over = await limiter.AdmitIngestAsync(projectA.ProjectId, 30, CancellationToken.None);
        var fits = await limiter.AdmitIngestAsync(projectA.ProjectId, 20, CancellationToken.None);
        var full = await limiter.AdmitIngestAsync(projectA.ProjectId, 1, CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2));
        var nextDay = await limiter.AdmitIngestAsync(projectA.ProjectId, 100, CancellationToken.None);

        Assert.True(morning.Admitted);
        Assert.False(over.Admitted);
        Assert.Equal(QuotaLimits.IngestSpansPerDay, over.Limit);
        // Until midnight UTC by the clock: one minute.
        Assert.Equal(60, over.Seconds);
        Assert.True(fits.Admitted);
        Assert.False(full.Admitted);
        Assert.True(nextDay.Admitted);
    }

    [Fact]
    public async Task A_rate_refusal_does_not_count_against_the_daily_volume()
    {
        var limiter = Limiter(Options(perSecond: 1, burstSeconds: 10, perDay: 25));

        Assert.True((await limiter.AdmitIngestAsync(projectA.ProjectId, 10, CancellationToken.None)).Admitted);
        // Refused by the rate: nothing taken from the day either.
        Assert.Equal(QuotaLimits.IngestSpansPerSecond, (await limiter.AdmitIngestAsync(projectA.ProjectId, 10, CancellationToken.None)).Limit);
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis))
        {
            var day = limiter.IngestDayKey(projectA.ProjectId, DateOnly.FromDateTime(DateTime.UtcNow));
            Assert.Equal(10, (long)await raw.GetDatabase().StringGetAsync(day));
        }
    }

    [Fact]
    public async Task A_projects_override_in_dpdb_replaces_the_default_for_that_project_only()
    {
        var limiter = Limiter(Options(perSecond: 1000, burstSeconds: 1));
        await using (var update = dpdb.DataSource.CreateCommand("UPDATE projects SET ingest_spans_per_second = 1, api_requests_per_minute = 1 WHERE id = $1"))
        {
            update.Parameters.AddWithValue(projectA.ProjectId);
            await update.ExecuteNonQueryAsync();
        }

        var overridden = await limiter.AdmitIngestAsync(projectA.ProjectId, 2, CancellationToken.None);
        var api1 = await limiter.AdmitApiRequestAsync(projectA.ProjectId, "key:x", CancellationToken.None);
        var api2 = await limiter.AdmitApiRequestAsync(projectA.ProjectId, "key:x", CancellationToken.None);
        var otherKey = await limiter.AdmitApiRequestAsync(projectA.ProjectId, "key:y", CancellationToken.None);
        var unaffected = await limiter.AdmitIngestAsync(projectB.ProjectId, 1000, CancellationToken.None);

        // The bucket holds one second's worth (1): 2 is admitted only because the bucket was full, and leaves it in debt.
        Assert.True(overridden.Admitted);
        Assert.False((await limiter.AdmitIngestAsync(projectA.ProjectId, 1, CancellationToken.None)).Admitted);
        Assert.True(api1.Admitted);
        Assert.False(api2.Admitted);
        Assert.Equal(QuotaLimits.ApiRequestsPerMinute, api2.Limit);
        Assert.Equal(1, api2.LimitValue);
        Assert.True(otherKey.Admitted);
        Assert.True(unaffected.Admitted);
    }

    [Fact]
    public async Task Counters_report_accepted_and_limited_items_per_project_and_limit()
    {
        var measurements = new ConcurrentBag<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.TelemetryName && instrument.Name.StartsWith("honeyhive.quota.", StringComparison.Ordinal))
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            measurements.Add((instrument.Name, value, map));
        });
        listener.Start();
        var limiter = Limiter(Options());
        var project = projectA.ProjectId.ToString();

        await limiter.AdmitIngestAsync(projectA.ProjectId, 100, CancellationToken.None);
        await limiter.AdmitIngestAsync(projectA.ProjectId, 7, CancellationToken.None);

        var mine = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("project_id"), project)).ToList();
        Assert.Equal(100, mine.Where(m => m.Instrument == "honeyhive.quota.accepted" && Equals(m.Tags["kind"], "ingest")).Sum(m => m.Value));
        Assert.Equal(7, mine.Where(m => m.Instrument == "honeyhive.quota.limited" && Equals(m.Tags["limit"], QuotaLimits.IngestSpansPerSecond)).Sum(m => m.Value));
    }

    [Fact]
    public async Task With_Redis_unreachable_requests_are_admitted_unchecked_and_the_outage_is_logged()
    {
        // A port that was just free and is closed again: nothing answers there.
        var options = ConfigurationOptions.Parse($"127.0.0.1:{ClosedPort()}");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 500;
        await using var down = await ConnectionMultiplexer.ConnectAsync(options);
        var logger = new RecordingLogger();
        var limiter = Limiter(Options(perSecond: 1, burstSeconds: 1, perDay: 1), down, logger: logger);

        var first = await limiter.AdmitIngestAsync(projectA.ProjectId, 1000, CancellationToken.None);
        var second = await limiter.AdmitApiRequestAsync(projectA.ProjectId, "key:1", CancellationToken.None);

        Assert.True(first.Admitted && first.Unchecked);
        Assert.True(second.Admitted && second.Unchecked);
        Assert.Contains(logger.Warnings, w => w.Contains("fail open", StringComparison.Ordinal));
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class RecordingLogger : ILogger<RedisQuotaLimiter>
    {
        public ConcurrentBag<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }
}
