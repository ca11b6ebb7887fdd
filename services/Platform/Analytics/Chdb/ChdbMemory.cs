using System.Globalization;

namespace HoneyHive.Platform.Analytics.Chdb;

/// <summary>
/// chDB's own memory bounds (keys under <c>ClickHouse:Memory</c>). The engine lives in the Host's process, so
/// its memory is the Host's: unbounded, ClickHouse sizes itself for a server of its own (measured on chDB 26.5
/// on a 24 GB machine: a total limit of 90 % of RAM, 5 GiB each for the mark, primary-index and
/// index-mark caches). These keep it to a share of the Host: 1.5 GiB in all, 1 GiB per statement (spilling large
/// sorts and aggregations from 512 MiB), small caches. A first budget of 320 MiB in all (to keep the Host under
/// 1 GB resident beside ~280 MB of mapped code and the 384 MiB managed heap of Host.csproj) failed real work
/// with MEMORY_LIMIT_EXCEEDED: the Writer's insert of 20,000 wide events would have used 323 MiB and the query
/// bench's 50,000-row load 413 MiB (`./hh bench writer`, `./hh bench query`). The Host's peak resident memory
/// under load is measured by `./hh bench load`, not promised by these numbers.
/// <para>
/// How chDB 26.5 takes them (checked by reading them back, see ChdbAnalyticsStoreTests): server settings
/// (the total limit and the caches) only as <c>--name=value</c> arguments of chdb_connect, before the
/// engine starts; query settings (<c>max_memory_usage</c> and the spill thresholds) are ignored there and
/// are applied with <c>SET</c> on the connection, whose session every later statement runs in.
/// </para>
/// </summary>
public sealed class ChdbMemory
{
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// <c>max_server_memory_usage</c>: everything the engine tracks (queries, inserts, merges, caches). Past it
    /// a statement fails with MEMORY_LIMIT_EXCEEDED (the Writer retries its insert) instead of the Host growing.
    /// </summary>
    public long MaxServerMemoryBytes { get; set; } = 1536 * MiB;

    /// <summary><c>max_memory_usage</c>: one statement's share, so one heavy read cannot take the whole budget from the Writer's inserts.</summary>
    public long MaxQueryMemoryBytes { get; set; } = 1024 * MiB;

    /// <summary>
    /// <c>max_bytes_before_external_group_by</c> and <c>_sort</c>: a large GROUP BY or ORDER BY spills to disk
    /// here instead of failing at <see cref="MaxQueryMemoryBytes"/> (half of it, as ClickHouse advises).
    /// </summary>
    public long SpillBytes { get; set; } = 512 * MiB;

    /// <summary><c>mark_cache_size</c>.</summary>
    public long MarkCacheBytes { get; set; } = 32 * MiB;

    /// <summary><c>primary_index_cache_size</c>.</summary>
    public long PrimaryIndexCacheBytes { get; set; } = 32 * MiB;

    /// <summary><c>index_mark_cache_size</c> (marks of skip indexes).</summary>
    public long IndexMarkCacheBytes { get; set; } = 16 * MiB;

    /// <summary><c>query_condition_cache_size</c>.</summary>
    public long QueryConditionCacheBytes { get; set; } = 16 * MiB;

    /// <summary>Arguments of chdb_connect: the server settings.</summary>
    public IEnumerable<string> ConnectArguments()
    {
        yield return Argument("max_server_memory_usage", MaxServerMemoryBytes);
        yield return Argument("mark_cache_size", MarkCacheBytes);
        yield return Argument("primary_index_cache_size", PrimaryIndexCacheBytes);
        yield return Argument("index_mark_cache_size", IndexMarkCacheBytes);
        yield return Argument("query_condition_cache_size", QueryConditionCacheBytes);
    }

    /// <summary>The SET statement run on the connection once it is open: the query settings.</summary>
    public string SessionSettings() => string.Create(CultureInfo.InvariantCulture,
        $"SET max_memory_usage = {MaxQueryMemoryBytes}, max_bytes_before_external_group_by = {SpillBytes}, max_bytes_before_external_sort = {SpillBytes}");

    private static string Argument(string name, long value)
    {
        if (value < 0) throw new InvalidOperationException($"ClickHouse:Memory: {name} must not be negative (0 means no limit).");
        return string.Create(CultureInfo.InvariantCulture, $"--{name}={value}");
    }
}
