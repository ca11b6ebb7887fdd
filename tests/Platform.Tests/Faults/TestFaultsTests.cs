using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace HoneyHive.Platform.Tests.Faults;

/// <summary>
/// The fault switch exists only in test configuration: without <c>Faults:Enabled</c> there is no route
/// and the analytics store is the real one; with it, the route breaks the store for the time asked.
/// </summary>
[Trait("Servers", "None")]
public sealed class TestFaultsTests
{
    [Fact]
    public async Task Without_the_setting_there_is_no_fault_route_and_no_wrapper()
    {
        await using var app = await StartAsync(enabled: null);
        using var client = app.GetTestClient();

        using var post = await client.PostAsJsonAsync("/internal/faults/analytics", new { seconds = 10 });
        using var get = await client.GetAsync(new Uri("/internal/faults", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.IsType<RecordingStore>(app.Services.GetRequiredService<IAnalyticsStore>());
        Assert.Null(app.Services.GetService<FaultSwitch>());
    }

    [Fact]
    public async Task Explicitly_disabled_is_the_same_as_absent()
    {
        await using var app = await StartAsync(enabled: "false");
        using var client = app.GetTestClient();

        using var post = await client.PostAsJsonAsync("/internal/faults/analytics", new { seconds = 10 });

        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.IsType<RecordingStore>(app.Services.GetRequiredService<IAnalyticsStore>());
    }

    [Fact]
    public void No_shipped_appsettings_enables_faults()
    {
        var services = Path.Combine(RepositoryRoot(), "services");
        var files = Directory.EnumerateFiles(services, "appsettings*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            Assert.False(document.RootElement.TryGetProperty("Faults", out _), $"{file} configures Faults");
        }
    }

    [Fact]
    public async Task Enabled_the_route_fails_writes_and_reads_for_the_time_asked_then_ends_on_zero()
    {
        await using var app = await StartAsync(enabled: "true");
        using var client = app.GetTestClient();
        var store = app.Services.GetRequiredService<IAnalyticsStore>();
        Assert.IsType<FaultyAnalyticsStore>(store);

        using (var on = await client.PostAsJsonAsync("/internal/faults/analytics", new { seconds = 600 }))
            Assert.Equal(HttpStatusCode.NoContent, on.StatusCode);
        await Assert.ThrowsAsync<InjectedFaultException>(() => store.InsertJsonEachRowAsync("events", "{}"u8.ToArray(), CancellationToken.None));
        await Assert.ThrowsAsync<InjectedFaultException>(() => store.QueryAsync("SELECT 1", null, CancellationToken.None));

        using (var off = await client.PostAsJsonAsync("/internal/faults/analytics", new { seconds = 0 }))
            Assert.Equal(HttpStatusCode.NoContent, off.StatusCode);
        await store.InsertJsonEachRowAsync("events", "{}"u8.ToArray(), CancellationToken.None);
        Assert.Equal(1, app.Services.GetRequiredService<RecordingStore>().Inserts);
    }

    [Fact]
    public async Task Enabled_writes_only_leaves_reads_working()
    {
        await using var app = await StartAsync(enabled: "true");
        using var client = app.GetTestClient();
        var store = app.Services.GetRequiredService<IAnalyticsStore>();

        using (var on = await client.PostAsJsonAsync("/internal/faults/analytics", new { seconds = 600, reads = false }))
            Assert.Equal(HttpStatusCode.NoContent, on.StatusCode);

        Assert.Empty(await store.QueryAsync("SELECT 1", null, CancellationToken.None));
        await Assert.ThrowsAsync<InjectedFaultException>(() => store.ExecuteAsync("SELECT 1", null, CancellationToken.None));
    }

    [Fact]
    public async Task Enabled_a_duration_out_of_range_is_a_400_naming_seconds()
    {
        await using var app = await StartAsync(enabled: "true");
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/internal/faults/lost-acks", new { seconds = -1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("seconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(app.Services.GetRequiredService<FaultSwitch>().LoseAcks);
    }

    private static async Task<WebApplication> StartAsync(string? enabled)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        if (enabled is not null) builder.Configuration[FaultsExtensions.EnabledKey] = enabled;
        builder.Services.AddSingleton<RecordingStore>();
        builder.Services.AddSingleton<IAnalyticsStore>(sp => sp.GetRequiredService<RecordingStore>());
        builder.AddTestFaults();
        var app = builder.Build();
        app.MapTestFaults();
        await app.StartAsync();
        return app;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HoneyHive.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
    }

    private sealed class RecordingStore : IAnalyticsStore
    {
        public int Inserts { get; private set; }

        public string Backend => "recording";

        public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<JsonElement>>([]);

        public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken)
        {
            Inserts++;
            return Task.CompletedTask;
        }

        public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => InsertJsonEachRowAsync(table, data, cancellationToken);
    }
}
