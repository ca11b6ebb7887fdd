using System.Text;
using ClickHouse.Driver;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Analytics;

/// <summary>The ClickHouse.Driver adapter end to end against a ClickHouse engine behind the HTTP interface.</summary>
[Collection(ChdbCollection.Name)]
public sealed class ClickHouseServerStoreTests(ChdbFixture fixture) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private ClickHouseHttpStandIn standIn = null!;
    private ClickHouseServerStore store = null!;

    public async Task InitializeAsync()
    {
        standIn = await ClickHouseHttpStandIn.StartAsync(fixture.Store);
        store = new ClickHouseServerStore(standIn.Url, NullLogger<ClickHouseServerStore>.Instance);
    }

    public async Task DisposeAsync()
    {
        store.Dispose();
        await standIn.DisposeAsync();
    }

    [Fact]
    public async Task Execute_insert_and_query_with_parameters_round_trip()
    {
        await store.ExecuteAsync("DROP TABLE IF EXISTS srv_items", null, None);
        await store.ExecuteAsync(
            "CREATE TABLE srv_items (id UInt32, name String, tags Array(String), at DateTime64(6, 'UTC')) ENGINE = MergeTree ORDER BY id", null, None);
        await store.InsertJsonEachRowAsync("srv_items", """
            {"id":1,"name":"alpha","tags":["a"],"at":"2026-11-27 10:00:00.000001"}
            {"id":2,"name":"beta","tags":[],"at":"2026-11-27 11:00:00"}
            """u8.ToArray(), None);

        var rows = await store.QueryAsync(
            "SELECT id, name, tags, at FROM srv_items WHERE name = {name:String} AND at >= {from:DateTime64(6, 'UTC')}",
            new Dictionary<string, object?> { ["name"] = "alpha", ["from"] = new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc) }, None);

        var row = Assert.Single(rows);
        Assert.Equal(1, row.GetProperty("id").GetInt32());
        Assert.Equal("a", row.GetProperty("tags")[0].GetString());
        Assert.Equal("2026-11-27 10:00:00.000001", row.GetProperty("at").GetString());

        // The parameter travelled as the driver's param_ URL argument, not inside the SQL text.
        Assert.Contains(standIn.Requests, r => r.Arguments.GetValueOrDefault("param_name") == "alpha");
        Assert.DoesNotContain(standIn.Requests, r => r.Arguments.GetValueOrDefault("query")?.Contains("alpha", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("x'); DROP TABLE srv_inj; --")]
    [InlineData("back\\slash \\' and a real\nnewline\tand tab ünïcødé")]
    [InlineData("nul\0 carriage\r return backspace\b form\ffeed \0\r\n\b\f\t")]
    public async Task A_hostile_string_parameter_comes_back_as_the_same_literal(string hostile)
    {
        await store.ExecuteAsync("CREATE TABLE IF NOT EXISTS srv_inj (id String, name String) ENGINE = MergeTree ORDER BY id", null, None);
        var id = Guid.NewGuid().ToString();
        await store.ExecuteAsync("INSERT INTO srv_inj SELECT {id:String}, {name:String}",
            new Dictionary<string, object?> { ["id"] = id, ["name"] = hostile }, None);

        var rows = await store.QueryAsync("SELECT name, {s:String} AS echo FROM srv_inj WHERE id = {id:String}",
            new Dictionary<string, object?> { ["id"] = id, ["s"] = hostile }, None);
        var row = Assert.Single(rows);
        Assert.Equal(hostile, row.GetProperty("name").GetString());
        Assert.Equal(hostile, row.GetProperty("echo").GetString());
        Assert.Single(await store.QueryAsync("EXISTS TABLE srv_inj", null, None), r => r.GetProperty("result").GetInt32() == 1);
    }

    [Fact]
    public async Task Server_errors_surface_with_their_text_and_code()
    {
        var syntax = await Assert.ThrowsAsync<AnalyticsStoreException>(() => store.QueryAsync("SELEC 1", null, None));
        Assert.Equal(62, syntax.Code);
        Assert.Contains("Syntax error", syntax.Message, StringComparison.OrdinalIgnoreCase);

        var unknown = await Assert.ThrowsAsync<AnalyticsStoreException>(
            () => store.InsertJsonEachRowAsync("srv_no_such_table", "{\"a\":1}"u8.ToArray(), None));
        Assert.Equal(60, unknown.Code);

        var ddl = await Assert.ThrowsAsync<AnalyticsStoreException>(() => store.ExecuteAsync("DROP TABLE srv_never_created", null, None));
        Assert.Equal(60, ddl.Code);
    }

    [Fact]
    public async Task Every_setting_the_driver_sends_is_known_to_the_engine_and_64_bit_integers_come_back_as_numbers()
    {
        var rows = await store.QueryAsync("SELECT toUInt64(18446744073709551615) AS big, toInt64(-5) AS small", null, None);
        Assert.Equal(ulong.MaxValue, rows[0].GetProperty("big").GetUInt64());
        Assert.Equal(-5, rows[0].GetProperty("small").GetInt64());
        var sent = standIn.Requests.Last().Arguments;
        Assert.Equal("0", sent["output_format_binary_write_json_as_string"]);
        Assert.Equal("0", sent["output_format_json_quote_64bit_integers"]);

        // The stand-in refuses settings the engine does not know, as a server does.
        using var http = new HttpClient();
        using var response = await http.PostAsync(
            standIn.Url.Replace("default:@", "", StringComparison.Ordinal) + "?no_such_setting=1", new StringContent("SELECT 1"));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("115", response.Headers.GetValues("X-ClickHouse-Exception-Code").Single());
    }

    [Fact]
    public async Task Binary_format_inserts_go_through_the_raw_stream_entry()
    {
        await store.ExecuteAsync("DROP TABLE IF EXISTS srv_bin", null, None);
        await store.ExecuteAsync("CREATE TABLE srv_bin (id UInt8, name String) ENGINE = MergeTree ORDER BY id", null, None);
        // The second row's name holds an empty line ("\n\n"), which the engine must not take for the end of the data.
        byte[] rowBinary = [5, 4, (byte)'f', (byte)'i', (byte)'v', (byte)'e', 6, 3, (byte)'\n', (byte)'\n', (byte)'6'];
        await store.InsertAsync("srv_bin", "RowBinary", rowBinary, None);

        var rows = await store.QueryAsync("SELECT id, name FROM srv_bin ORDER BY id", null, None);
        Assert.Equal(["five", "\n\n6"], rows.Select(r => r.GetProperty("name").GetString()));
        // The driver gzips raw inserts; the stand-in read them like ClickHouse does.
        Assert.Contains(standIn.Requests, r => r.Headers.GetValueOrDefault("Content-Encoding") == "gzip");
    }

    [Fact]
    public async Task The_drivers_own_binary_reader_works_against_the_engine()
    {
        // ExecuteScalarAsync reads RowBinaryWithNamesAndTypes, the driver's native result format.
        using var client = new ClickHouseClient(ClickHouseServerStore.CreateSettings(standIn.Url));
        var value = await client.ExecuteScalarAsync("SELECT toUInt64(41) + 1");
        Assert.Equal(42UL, value);
    }

    [Fact]
    public async Task The_migrations_run_through_the_driver()
    {
        var migrator = new ClickHouseMigrator(store, NullLogger<ClickHouseMigrator>.Instance);
        await migrator.MigrateAsync(None);
        var again = await migrator.MigrateAsync(None);
        Assert.Empty(again);
        var tables = await store.QueryAsync("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'events'", null, None);
        Assert.Single(tables);
    }

    [Fact]
    public async Task Registration_picks_the_server_when_a_url_is_set_and_its_health_check_runs_select_1()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ClickHouse:Url"] = standIn.Url });
        builder.AddAnalyticsStore();
        using var host = builder.Build();

        Assert.IsType<ClickHouseServerStore>(host.Services.GetRequiredService<IAnalyticsStore>());
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(None);
        Assert.Equal(HealthStatus.Healthy, report.Entries["analytics"].Status);
        Assert.Contains(standIn.Requests, r => r.Arguments.ContainsKey("default_format"));
    }

    [Fact]
    public async Task The_health_check_reports_a_server_that_does_not_answer()
    {
        await standIn.DisposeAsync();
        var check = new AnalyticsHealthCheck(store);
        var result = await check.CheckHealthAsync(
            new HealthCheckContext { Registration = new HealthCheckRegistration("analytics", check, HealthStatus.Unhealthy, null) }, None);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    [Fact]
    public void Registration_picks_chdb_without_a_url_and_needs_the_library_path()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ClickHouse:DataPath"] = "/tmp/unused" });
        builder.AddAnalyticsStore();
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(ChdbAnalyticsStore) && d.Lifetime == ServiceLifetime.Singleton);

        var error = Assert.Throws<InvalidOperationException>(() => AnalyticsStoreExtensions.ReadChdbOptions(builder.Configuration.GetSection("ClickHouse")));
        Assert.Contains("ClickHouse:ChdbLibrary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_url_gives_host_port_credentials_and_database()
    {
        var settings = ClickHouseServerStore.CreateSettings("https://writer:p%40ss@ch.example:8443/hh");
        Assert.Equal(("https", "ch.example", (ushort)8443, "writer", "p@ss", "hh"),
            (settings.Protocol, settings.Host, settings.Port, settings.Username, settings.Password, settings.Database));
        Assert.Throws<ArgumentException>(() => ClickHouseServerStore.CreateSettings("tcp://127.0.0.1:9000"));
    }
}
