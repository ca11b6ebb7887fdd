using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HoneyHive.DataPlane.Tests.Runs;

[Collection(RunsCollection.Name)]
public sealed class RunCrudTests(RunsFixture fixture)
{
    private readonly HttpClient a = fixture.Client(RunTenants.KeyA);

    [Fact]
    public async Task A_run_is_created_read_updated_and_deleted()
    {
        var created = await (await a.PostAsJsonAsync("/v1/runs", new
        {
            project = "ignored",
            name = "crud-run",
            description = "first try",
            event_ids = new[] { "s-1" },
            dataset_id = "ds-crud",
            datapoint_ids = new[] { "dp-a", "dp-b" },
            configuration = new { model = "gpt-4o", temperature = 0.2 },
            metadata = new { owner = "me", keep = 1 },
            passing_ranges = new { accuracy = new { min = 0.5, max = 1 } },
        })).ReadJsonAsync();
        var id = created.GetProperty("run_id").GetString()!;
        Assert.True(Guid.TryParse(id, out _));
        var evaluation = created.GetProperty("evaluation");
        Assert.Equal(id, evaluation.GetProperty("id").GetString());
        Assert.Equal(id, evaluation.GetProperty("run_id").GetString());
        Assert.Equal("pending", evaluation.GetProperty("status").GetString());
        Assert.Equal("crud-run", evaluation.GetProperty("name").GetString());
        Assert.Equal("ds-crud", evaluation.GetProperty("dataset_id").GetString());
        Assert.Equal(["dp-a", "dp-b"], Strings(evaluation.GetProperty("datapoint_ids")));
        Assert.Equal(RunTenants.A.ProjectId.ToString(), evaluation.GetProperty("scope_id").GetString());
        Assert.Equal("project", evaluation.GetProperty("scope_type").GetString());
        Assert.True(evaluation.GetProperty("is_active").GetBoolean());
        Assert.Equal(0.5, evaluation.GetProperty("passing_ranges").GetProperty("accuracy").GetProperty("min").GetDouble());
        Assert.True(DateTimeOffset.TryParse(evaluation.GetProperty("created_at").GetString(), out _));

        var read = (await (await a.GetAsync($"/v1/runs/{id}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("gpt-4o", read.GetProperty("configuration").GetProperty("model").GetString());
        Assert.Equal(["s-1"], Strings(read.GetProperty("event_ids")));

        var updated = (await (await a.PutAsJsonAsync($"/v1/runs/{id}", new
        {
            status = "completed",
            event_ids = new[] { "s-1", "s-2" },
            metadata = new { owner = "you" },
            results = new { note = "done" },
        })).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("completed", updated.GetProperty("status").GetString());
        Assert.Equal(["s-1", "s-2"], Strings(updated.GetProperty("event_ids")));
        // Metadata merges key by key: the new value wins, the untouched key stays.
        Assert.Equal("you", updated.GetProperty("metadata").GetProperty("owner").GetString());
        Assert.Equal(1, updated.GetProperty("metadata").GetProperty("keep").GetInt32());
        Assert.Equal("done", updated.GetProperty("results").GetProperty("note").GetString());
        Assert.Equal("crud-run", updated.GetProperty("name").GetString());

        var reread = (await (await a.GetAsync($"/runs/{id}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("completed", reread.GetProperty("status").GetString());

        var deleted = await (await a.DeleteAsync($"/v1/runs/{id}")).ReadJsonAsync();
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/v1/runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync($"/v1/runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.PutAsJsonAsync($"/v1/runs/{id}", new { status = "failed" })).StatusCode);
    }

    [Fact]
    public async Task A_run_without_a_name_omits_it_rather_than_sending_null()
    {
        var created = await (await a.PostAsJsonAsync("/runs", new { event_ids = Array.Empty<string>() })).ReadJsonAsync();
        var evaluation = created.GetProperty("evaluation");
        Assert.False(evaluation.TryGetProperty("name", out _));
        Assert.False(evaluation.TryGetProperty("dataset_id", out _));
        Assert.Equal(JsonValueKind.Array, evaluation.GetProperty("event_ids").ValueKind);
    }

    [Fact]
    public async Task A_taken_run_id_is_a_conflict()
    {
        var response = await a.PostAsJsonAsync("/v1/runs", new { run_id = RunSeed.OldRun, name = "again" });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var run = (await (await a.GetAsync($"/v1/runs/{RunSeed.OldRun}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("baseline", run.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{"status":"bogus"}""", "status")]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":5}""", "name")]
    [InlineData("""{"event_ids":"s-1"}""", "event_ids")]
    [InlineData("""{"event_ids":[1,2]}""", "event_ids")]
    [InlineData("""{"datapoint_ids":[""]}""", "datapoint_ids")]
    [InlineData("""{"metadata":[1]}""", "metadata")]
    [InlineData("""{"run_id":"not-a-uuid"}""", "run_id")]
    [InlineData("""{"passing_ranges":{"accuracy":{"min":"high"}}}""", "passing_ranges")]
    [InlineData("""{"evaluators":{}}""", "evaluators")]
    [InlineData("""[1,2]""", "body")]
    public async Task A_bad_create_body_is_a_400_naming_the_field(string body, string field)
    {
        var response = await a.PostAsync("/v1/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_bad_update_or_run_id_is_a_400_and_leaves_the_run_unchanged()
    {
        var problem = await (await a.PutAsJsonAsync($"/v1/runs/{RunSeed.OldRun}", new { status = "done" })).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("status", out _));
        var run = (await (await a.GetAsync($"/v1/runs/{RunSeed.OldRun}")).ReadJsonAsync()).GetProperty("evaluation");
        Assert.Equal("completed", run.GetProperty("status").GetString());

        var badId = await (await a.GetAsync("/v1/runs/not-a-uuid")).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.True(badId.GetProperty("errors").TryGetProperty("run_id", out _));
    }

    [Fact]
    public async Task A_request_without_a_key_is_refused()
    {
        var anonymous = fixture.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/runs/{RunSeed.OldRun}/result")).StatusCode);
    }

    internal static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
