using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Analytics;

[Collection(ChdbCollection.Name)]
public sealed class ChdbAnalyticsStoreTests(ChdbFixture fixture)
{
    private readonly ChdbAnalyticsStore store = fixture.Store;
    private static readonly CancellationToken None = CancellationToken.None;

    private static Dictionary<string, object?> P(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public async Task Create_insert_and_select_round_trip_with_parameters()
    {
        await store.ExecuteAsync("DROP TABLE IF EXISTS rt_items", null, None);
        await store.ExecuteAsync("""
            CREATE TABLE rt_items
            (id UInt32, name String, tags Array(String), at DateTime64(6, 'UTC'), score Float64, attrs Map(LowCardinality(String), String))
            ENGINE = MergeTree ORDER BY id
            """, null, None);
        var rows = """
            {"id":1,"name":"alpha","tags":["a","b"],"at":"2026-01-02 03:04:05.123456","score":0.5,"attrs":{"model":"\"gpt-4o\""}}
            {"id":2,"name":"beta","tags":[],"at":"2026-01-02 03:04:06.000001","score":1.25,"attrs":{}}
            {"id":3,"name":"alpha","tags":["c"],"at":"2026-01-03 00:00:00","score":2,"attrs":{"k":"1"}}
            """u8.ToArray();
        await store.InsertJsonEachRowAsync("rt_items", rows, None);

        var result = await store.QueryAsync(
            "SELECT id, tags, at, score, attrs['model'] AS model FROM rt_items WHERE name = {name:String} AND at < {before:DateTime64(6, 'UTC')} ORDER BY id",
            P(("name", "alpha"), ("before", new DateTime(2026, 1, 2, 12, 0, 0, DateTimeKind.Utc))), None);

        var row = Assert.Single(result);
        Assert.Equal(1, row.GetProperty("id").GetInt32());
        Assert.Equal(["a", "b"], row.GetProperty("tags").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("2026-01-02 03:04:05.123456", row.GetProperty("at").GetString());
        Assert.Equal(0.5, row.GetProperty("score").GetDouble());
        Assert.Equal("gpt-4o", JsonDocument.Parse(row.GetProperty("model").GetString()!).RootElement.GetString());

        var ids = await store.QueryAsync(
            "SELECT id FROM rt_items WHERE has({ids:Array(UInt32)}, id) AND score > {min:Float64} ORDER BY id",
            P(("ids", new[] { 2, 3 }), ("min", 1.0)), None);
        Assert.Equal([2, 3], ids.Select(r => r.GetProperty("id").GetInt32()));
    }

    [Theory]
    [InlineData("x'); DROP TABLE inj_items; --")]
    [InlineData("back\\slash \\' \\n and a real\nnewline\tand tab")]
    [InlineData("{name:String} \"double\" `tick` ünïcødé 🚀")]
    [InlineData("\\N")]
    [InlineData("nul\0 carriage\r return backspace\b form\ffeed \0\r\n\b\f\t")]
    [InlineData("\0")]
    public async Task A_hostile_string_parameter_comes_back_as_the_same_literal(string hostile)
    {
        await store.ExecuteAsync("CREATE TABLE IF NOT EXISTS inj_items (id UInt64, name String) ENGINE = MergeTree ORDER BY id", null, None);
        var id = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        await store.ExecuteAsync("INSERT INTO inj_items SELECT {id:UInt64}, {name:String}", P(("id", id), ("name", hostile)), None);

        var byName = await store.QueryAsync("SELECT id, name FROM inj_items WHERE name = {name:String}", P(("name", hostile)), None);
        var row = Assert.Single(byName, r => r.GetProperty("id").GetUInt64() == id);
        Assert.Equal(hostile, row.GetProperty("name").GetString());

        var echoed = await store.QueryAsync(
            "SELECT {s:String} AS s, {arr:Array(String)} AS arr, {m:Map(String, String)} AS m",
            P(("s", hostile), ("arr", new[] { hostile, "plain" }), ("m", new Dictionary<string, string> { [hostile] = hostile })), None);
        var echo = Assert.Single(echoed);
        Assert.Equal(hostile, echo.GetProperty("s").GetString());
        Assert.Equal([hostile, "plain"], echo.GetProperty("arr").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(hostile, echo.GetProperty("m").GetProperty(hostile).GetString());

        var tables = await store.QueryAsync("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'inj_items'", null, None);
        Assert.Single(tables);
    }

    [Fact]
    public async Task Scalar_parameter_types_bind_to_their_placeholders()
    {
        var rows = await store.QueryAsync(
            "SELECT {b:Bool} AS b, {n:Nullable(String)} AS n, {g:UUID} AS g, {d:Date} AS d, {i:Int64} AS i, {dt:DateTime64(3, 'UTC')} AS dt",
            P(("b", true), ("n", null), ("g", Guid.Parse("0b0e4d0c-5f5c-4d5e-9a43-7b6a2b0f9a11")), ("d", new DateOnly(2026, 11, 27)),
              ("i", long.MinValue), ("dt", new DateTimeOffset(2026, 11, 27, 10, 0, 0, 123, TimeSpan.FromHours(2)))), None);
        var row = Assert.Single(rows);
        Assert.True(row.GetProperty("b").GetBoolean());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("n").ValueKind);
        Assert.Equal("0b0e4d0c-5f5c-4d5e-9a43-7b6a2b0f9a11", row.GetProperty("g").GetString());
        Assert.Equal("2026-11-27", row.GetProperty("d").GetString());
        // 64-bit integers come back as JSON numbers (output_format_json_quote_64bit_integers = 0).
        Assert.Equal(long.MinValue, row.GetProperty("i").GetInt64());
        Assert.Equal("2026-11-27 08:00:00.123", row.GetProperty("dt").GetString());
    }

    [Fact]
    public async Task ClickHouse_errors_surface_with_their_text_and_code()
    {
        var syntax = await Assert.ThrowsAsync<AnalyticsStoreException>(() => store.QueryAsync("SELEC 1", null, None));
        Assert.Equal(62, syntax.Code);
        Assert.Contains("Syntax error", syntax.Message, StringComparison.OrdinalIgnoreCase);

        var unknownTable = await Assert.ThrowsAsync<AnalyticsStoreException>(
            () => store.ExecuteAsync("INSERT INTO no_such_table SELECT 1", null, None));
        Assert.Equal(60, unknownTable.Code);
        Assert.Contains("no_such_table", unknownTable.Message, StringComparison.Ordinal);

        var badValue = await Assert.ThrowsAsync<AnalyticsStoreException>(
            () => store.QueryAsync("SELECT {n:UInt8} AS n", P(("n", "not a number")), None));
        Assert.NotNull(badValue.Code);
    }

    [Fact]
    public async Task A_query_without_rows_returns_an_empty_list()
    {
        var rows = await store.QueryAsync("SELECT number FROM system.numbers LIMIT 0", null, None);
        Assert.Empty(rows);
    }

    [Fact]
    public async Task Inserts_in_a_binary_format_land_like_json_rows()
    {
        await store.ExecuteAsync("DROP TABLE IF EXISTS bin_items", null, None);
        await store.ExecuteAsync("CREATE TABLE bin_items (id UInt32, name String) ENGINE = MergeTree ORDER BY id", null, None);

        // RowBinary: UInt32 little endian, String as LEB128 length + bytes.
        var data = new List<byte>();
        foreach (var (id, name) in new[] { (7u, "seven"), (8u, "eight\nwith\0nul") })
        {
            var number = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(number, id);
            data.AddRange(number);
            var text = Encoding.UTF8.GetBytes(name);
            data.Add((byte)text.Length);
            data.AddRange(text);
        }

        await store.InsertAsync("bin_items", "RowBinary", data.ToArray(), None);
        var rows = await store.QueryAsync("SELECT id, name FROM bin_items ORDER BY id", null, None);
        Assert.Equal([7, 8], rows.Select(r => r.GetProperty("id").GetInt32()));
        Assert.Equal("eight\nwith\0nul", rows[1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Data_holding_empty_lines_lands_whole()
    {
        // chDB ends inline INSERT data at "\n\n"; RowBinary holds those bytes in strings and numbers alike.
        await store.ExecuteAsync("DROP TABLE IF EXISTS blank_items", null, None);
        await store.ExecuteAsync("CREATE TABLE blank_items (id UInt32, name String) ENGINE = MergeTree ORDER BY id", null, None);
        var data = new List<byte>();
        foreach (var (id, name) in new[] { (1u, "a"), (0x0A0Au, "b"), (3u, "x\n\ny"), (4u, "\n\n"), (5u, "last") })
        {
            var number = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(number, id);
            data.AddRange(number);
            var text = Encoding.UTF8.GetBytes(name);
            data.Add((byte)text.Length);
            data.AddRange(text);
        }

        await store.InsertAsync("blank_items", "RowBinary", data.ToArray(), None);
        await store.InsertJsonEachRowAsync("blank_items", "\n{\"id\":6,\"name\":\"j1\"}\n\n\n{\"id\":7,\"name\":\"j2\"}\n"u8.ToArray(), None);

        var rows = await store.QueryAsync("SELECT id, name FROM blank_items ORDER BY id", null, None);
        Assert.Equal([1, 3, 4, 5, 6, 7, 0x0A0A], rows.Select(r => r.GetProperty("id").GetInt32()));
        Assert.Equal("x\n\ny", rows[1].GetProperty("name").GetString());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.DataPath, "insert-spool")));
    }

    [Fact]
    public async Task Table_and_format_names_that_are_not_plain_identifiers_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("t; DROP TABLE x", "JSONEachRow", "{}"u8.ToArray(), None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertAsync("bin_items", "JSONEachRow SETTINGS x=1", "{}"u8.ToArray(), None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.QueryAsync("SELECT 1", P(("bad name", 1)), None));
    }

    [Fact]
    public async Task Concurrent_inserts_and_selects_from_many_threads_all_succeed_and_add_up()
    {
        const int workers = 8;
        const int operations = 40;
        await store.ExecuteAsync("DROP TABLE IF EXISTS conc_items", null, None);
        await store.ExecuteAsync("CREATE TABLE conc_items (worker UInt32, seq UInt32) ENGINE = MergeTree ORDER BY (worker, seq)", null, None);

        var threads = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var inserted = 0;
            for (var op = 0; op < operations; op++)
            {
                if (op % 2 == 0)
                {
                    await store.InsertJsonEachRowAsync("conc_items", Encoding.UTF8.GetBytes($"{{\"worker\":{worker},\"seq\":{op}}}\n"), None);
                    inserted++;
                }
                else
                {
                    // Each worker's inserts are complete before it reads: its own count is exact.
                    var rows = await store.QueryAsync("SELECT count() AS n FROM conc_items WHERE worker = {w:UInt32}", P(("w", worker)), None);
                    Assert.Equal(inserted, Assert.Single(rows).GetProperty("n").GetInt32());
                }
            }
        })).ToArray();
        await Task.WhenAll(threads);

        var totals = await store.QueryAsync("SELECT count() AS n, uniqExact(worker) AS w FROM conc_items", null, None);
        Assert.Equal(workers * operations / 2, totals[0].GetProperty("n").GetInt32());
        Assert.Equal(workers, totals[0].GetProperty("w").GetInt32());
    }

    [Fact]
    public void A_second_connection_in_the_same_process_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ChdbAnalyticsStore(
            new ChdbOptions { LibraryPath = TestServers.ChdbLibrary, DataPath = Path.Combine(TestServers.DataDirectory, "chdb-second") },
            NullLogger<ChdbAnalyticsStore>.Instance));
        Assert.Contains("already open", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_still_turns_null_dereferences_into_exceptions_after_chdb_started()
    {
        // chDB installs process-wide signal handlers unless told not to; the .NET runtime needs SIGSEGV.
        await store.QueryAsync("SELECT 1", null, None);
        string? nothing = Environment.GetEnvironmentVariable("HH_SURELY_NOT_SET_" + Guid.NewGuid().ToString("N"));
        Assert.Throws<NullReferenceException>(() => nothing!.Length);
    }
}
