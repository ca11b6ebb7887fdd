using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;

namespace HoneyHive.Platform.Tests.Analytics;

/// <summary>chDB runs inside the Host: its memory bounds must be in force on the store's connection, not just configured.</summary>
[Collection(ChdbCollection.Name)]
public sealed class ChdbMemoryTests(ChdbFixture fixture)
{
    private static readonly ChdbMemory Defaults = new();

    [Fact]
    public async Task The_store_connection_runs_with_the_configured_per_query_limit_and_spill_thresholds()
    {
        var row = Assert.Single(await fixture.Store.QueryAsync("""
            SELECT toInt64(getSetting('max_memory_usage')) AS query_limit,
                   toInt64(getSetting('max_bytes_before_external_group_by')) AS group_by_spill,
                   toInt64(getSetting('max_bytes_before_external_sort')) AS sort_spill
            """, null, CancellationToken.None));

        Assert.Equal(Defaults.MaxQueryMemoryBytes, long.Parse(row.GetProperty("query_limit").ToString(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Defaults.SpillBytes, long.Parse(row.GetProperty("group_by_spill").ToString(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Defaults.SpillBytes, long.Parse(row.GetProperty("sort_spill").ToString(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_engine_runs_with_the_configured_total_limit_and_cache_sizes()
    {
        var rows = await fixture.Store.QueryAsync("""
            SELECT name, toInt64(value) AS bytes FROM system.server_settings
            WHERE name IN ('max_server_memory_usage', 'mark_cache_size', 'primary_index_cache_size', 'index_mark_cache_size', 'query_condition_cache_size')
            """, null, CancellationToken.None);
        var settings = rows.ToDictionary(r => r.GetProperty("name").GetString()!,
            r => long.Parse(r.GetProperty("bytes").ToString(), System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(Defaults.MaxServerMemoryBytes, settings["max_server_memory_usage"]);
        Assert.Equal(Defaults.MarkCacheBytes, settings["mark_cache_size"]);
        Assert.Equal(Defaults.PrimaryIndexCacheBytes, settings["primary_index_cache_size"]);
        Assert.Equal(Defaults.IndexMarkCacheBytes, settings["index_mark_cache_size"]);
        Assert.Equal(Defaults.QueryConditionCacheBytes, settings["query_condition_cache_size"]);
    }

    [Fact]
    public async Task A_statement_that_needs_more_than_the_per_query_limit_fails_instead_of_growing_the_process()
    {
        // groupArray cannot spill: ~100 M strings (about 1.7 GB) need well over the 1 GiB a statement may use.
        var error = await Assert.ThrowsAsync<AnalyticsStoreException>(() => fixture.Store.QueryAsync(
            "SELECT length(groupArray(toString(number))) AS n FROM numbers(100000000)", null, CancellationToken.None));

        Assert.Equal(241, error.Code); // MEMORY_LIMIT_EXCEEDED
    }
}
