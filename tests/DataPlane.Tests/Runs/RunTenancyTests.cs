using System.Net;
using System.Net.Http.Json;
using static HoneyHive.DataPlane.Tests.Runs.RunSeed;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>Project B's key against project A's run ids: 404 everywhere, and nothing of A changes.</summary>
[Collection(RunsCollection.Name)]
public sealed class RunTenancyTests(RunsFixture fixture)
{
    private readonly HttpClient a = fixture.Client(RunTenants.KeyA);
    private readonly HttpClient b = fixture.Client(RunTenants.KeyB);

    [Theory]
    [InlineData("/v1/runs/{0}")]
    [InlineData("/runs/{0}")]
    [InlineData("/v1/runs/{0}/result")]
    [InlineData("/v1/runs/{0}/summary")]
    [InlineData("/v1/runs/{0}/metrics")]
    [InlineData("/v1/runs/{0}/schema")]
    [InlineData("/v1/runs/schema?evaluation_id={0}")]
    [InlineData("/v1/runs/{0}/compare/{1}")]
    [InlineData("/v1/runs/{2}/compare-with/{0}")]
    [InlineData("/v1/runs/{0}/compare/{1}/events")]
    [InlineData("/v1/runs/compare/events?run_id_1={2}&run_id_2={1}")]
    public async Task Another_projects_run_ids_are_404_and_never_data(string template)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, NewRun, OldRun, OtherProjectRun);
        var response = await b.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url}: {response.StatusCode} {body}");
        Assert.DoesNotContain("candidate", body, StringComparison.Ordinal);
        Assert.DoesNotContain("accuracy", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_project_cannot_change_or_delete_a_run()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await b.PutAsJsonAsync($"/v1/runs/{NewRun}", new { name = "hijacked", status = "failed" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/runs/{NewRun}")).StatusCode);

        var run = (await (await a.GetAsync($"/v1/runs/{NewRun}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("candidate", run.GetProperty("name").GetString());
        Assert.Equal("completed", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_projects_run_id_is_free_to_use_so_creating_it_reveals_nothing()
    {
        // A 409 here would confirm that the id exists in some project.
        var created = await b.PostAsJsonAsync("/v1/runs", new { run_id = NewRun, name = "b-copy" });
        var own = (await (await b.GetAsync($"/v1/runs/{NewRun}")).ReadJsonAsync()).GetProperty("evaluation");
        var deleted = await b.DeleteAsync($"/v1/runs/{NewRun}");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("b-copy", own.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var run = (await (await a.GetAsync($"/v1/runs/{NewRun}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("candidate", run.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_project_lists_only_its_own_runs_and_its_own_events()
    {
        var list = await (await b.GetAsync("/v1/runs")).ReadJsonAsync();
        var names = list.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(["b-run"], names);
        Assert.Equal(1, list.GetProperty("pagination").GetProperty("total_unfiltered").GetInt32());

        // Project B tagged events with A's run id; they belong to no run of B, and B's run has no events.
        var result = await (await b.GetAsync($"/v1/runs/{OtherProjectRun}/result")).ReadJsonAsync();
        Assert.Empty(RunResultTests.Details(result));

        var ids = await (await b.GetAsync($"/v1/runs?run_ids={NewRun}")).ReadJsonAsync();
        Assert.Equal(0, ids.GetProperty("evaluations").GetArrayLength());
    }
}
