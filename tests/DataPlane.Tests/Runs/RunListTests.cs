using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>The list runs in a project of its own, holding only the five runs this class creates.</summary>
[Collection(RunsCollection.Name)]
public sealed class RunListTests(RunsFixture fixture) : IAsyncLifetime
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool created;
    private readonly HttpClient list = fixture.Client(RunTenants.KeyList);

    public async Task InitializeAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (created) return;
            // Names in reverse creation order, so sorting by name differs from sorting by creation.
            string[] names = ["run-e", "run-d", "run-c", "run-b", "run-a"];
            for (var i = 0; i < names.Length; i++)
            {
                var response = await list.PostAsJsonAsync("/v1/runs", new
                {
                    name = names[i],
                    dataset_id = i < 2 ? "ds-x" : "ds-y",
                    status = i == 0 ? "completed" : "pending",
                });
                response.EnsureSuccessStatusCode();
            }

            created = true;
        }
        finally
        {
            Once.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Pages_hold_at_most_limit_runs_and_say_what_comes_next()
    {
        var first = await (await list.GetAsync("/v1/runs?limit=2")).ReadJsonAsync();
        Assert.Equal(2, first.GetProperty("evaluations").GetArrayLength());
        var pagination = first.GetProperty("pagination");
        Assert.Equal(5, pagination.GetProperty("total").GetInt32());
        Assert.Equal(5, pagination.GetProperty("total_unfiltered").GetInt32());
        Assert.Equal(3, pagination.GetProperty("total_pages").GetInt32());
        Assert.True(pagination.GetProperty("has_next").GetBoolean());
        Assert.False(pagination.GetProperty("has_prev").GetBoolean());
        // Newest first by default: the last created (run-a) leads.
        Assert.Equal(["run-a", "run-b"], Names(first));

        var last = await (await list.GetAsync("/v1/runs?limit=2&page=3")).ReadJsonAsync();
        Assert.Equal(["run-e"], Names(last));
        Assert.False(last.GetProperty("pagination").GetProperty("has_next").GetBoolean());
        Assert.True(last.GetProperty("pagination").GetProperty("has_prev").GetBoolean());

        var all = await (await list.GetAsync("/runs?project=ignored")).ReadJsonAsync();
        Assert.Equal(5, all.GetProperty("evaluations").GetArrayLength());
        Assert.Equal(20, all.GetProperty("pagination").GetProperty("limit").GetInt32());
        Assert.Equal(JsonValueKind.Array, all.GetProperty("metrics").ValueKind);
    }

    [Fact]
    public async Task Filters_narrow_the_list_and_sorting_follows_the_request()
    {
        var byDataset = await (await list.GetAsync("/v1/runs?dataset_id=ds-x&sort_by=name&sort_order=asc")).ReadJsonAsync();
        Assert.Equal(["run-d", "run-e"], Names(byDataset));
        Assert.Equal(2, byDataset.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(5, byDataset.GetProperty("pagination").GetProperty("total_unfiltered").GetInt32());

        var completed = await (await list.GetAsync("/v1/runs?status=completed")).ReadJsonAsync();
        Assert.Equal(["run-e"], Names(completed));

        var byName = await (await list.GetAsync("/v1/runs?name=RUN-C")).ReadJsonAsync();
        Assert.Equal(["run-c"], Names(byName));

        var all = await (await list.GetAsync("/v1/runs?sort_by=name&sort_order=asc")).ReadJsonAsync();
        var ids = all.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("run_id").GetString()!).ToList();
        var picked = await (await list.GetAsync($"/v1/runs?run_ids={ids[0]}&run_ids={ids[3]}&sort_by=name&sort_order=asc")).ReadJsonAsync();
        Assert.Equal(["run-a", "run-d"], Names(picked));

        var future = await (await list.GetAsync("/v1/runs?dateRange=" + Uri.EscapeDataString("""{"$gte":"2999-01-01T00:00:00Z"}"""))).ReadJsonAsync();
        Assert.Equal(0, future.GetProperty("evaluations").GetArrayLength());
    }

    [Theory]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("page=0", "page")]
    [InlineData("status=done", "status")]
    [InlineData("sort_by=secret", "sort_by")]
    [InlineData("sort_order=up", "sort_order")]
    [InlineData("run_ids=nope", "run_ids")]
    [InlineData("dateRange=%7Bnot-json", "dateRange")]
    public async Task Bad_list_parameters_are_a_400_naming_them(string query, string field)
    {
        var problem = await (await list.GetAsync("/v1/runs?" + query)).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task The_run_list_names_the_metrics_of_the_listed_runs()
    {
        var page = await (await fixture.Client(RunTenants.KeyA).GetAsync("/v1/runs?dataset_id=" + RunSeed.Dataset)).ReadJsonAsync();
        Assert.Equal(["candidate", "baseline"], Names(page));
        Assert.Equal(["accuracy", "passed"], RunCrudTests.Strings(page.GetProperty("metrics")));
    }

    private static string[] Names(JsonElement page) =>
        [.. page.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
}
