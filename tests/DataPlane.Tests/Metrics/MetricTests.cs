using System.Net;
using System.Text.Json;
using Dapper;
using HoneyHive.DataPlane.Tests.Definitions;
using Npgsql;

namespace HoneyHive.DataPlane.Tests.Metrics;

public sealed class MetricTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b");

    private static object Python(string name, string code = "def metric(event):\n    return 1.0") => new { name, type = "PYTHON", criteria = code };

    private static object Llm(string name) => new
    {
        name, type = "LLM", criteria = "Rate the answer {{outputs.content}} from 1 to 5.", return_type = "float", model_provider = "openai",
        model_name = "gpt-4o", scale = 5, threshold = new { min = 3, max = 5 }, sampling_percentage = 25, enabled_in_prod = true,
        needs_ground_truth = true, description = "judge",
        filters = new { filterArray = new[] { new { field = "event_type", @operator = "is", value = "model", type = "string" } } },
    };

    private async Task<string> CreateAsync(HttpClient client, object body)
    {
        var created = await client.PostJsonAsync("/v1/metrics", body);
        Assert.True(created.GetProperty("inserted").GetBoolean());
        return created.GetProperty("metric_id").GetString()!;
    }

    private async Task<JsonElement> GetAsync(string id) => await a.GetJsonAsync($"/v1/metrics/{id}");

    [Fact]
    public async Task Create_fills_the_defaults_and_lists_every_field()
    {
        var id = await CreateAsync(a, Python("python-defaults"));

        var list = await a.GetJsonAsync($"/v1/metrics?id={id}");
        var metric = Assert.Single(list.GetProperty("metrics").EnumerateArray());
        Assert.Equal(id, metric.GetProperty("id").GetString());
        Assert.Equal("python-defaults", metric.GetProperty("name").GetString());
        Assert.Equal("PYTHON", metric.GetProperty("type").GetString());
        Assert.Equal("", metric.GetProperty("description").GetString());
        Assert.Equal("float", metric.GetProperty("return_type").GetString());
        Assert.False(metric.GetProperty("enabled_in_prod").GetBoolean());
        Assert.False(metric.GetProperty("needs_ground_truth").GetBoolean());
        Assert.Equal(10, metric.GetProperty("sampling_percentage").GetDouble());
        Assert.Equal(JsonValueKind.Null, metric.GetProperty("model_provider").ValueKind);
        Assert.Equal(JsonValueKind.Null, metric.GetProperty("threshold").ValueKind);
        Assert.Empty(metric.GetProperty("filters").GetProperty("filterArray").EnumerateArray());
        Assert.True(DateTime.TryParse(metric.GetProperty("created_at").GetString(), out _));
        Assert.Equal(JsonValueKind.Null, metric.GetProperty("updated_at").ValueKind);

        var llm = await GetAsync(await CreateAsync(a, Llm("llm-all-fields")));
        Assert.Equal("openai", llm.GetProperty("model_provider").GetString());
        Assert.Equal("gpt-4o", llm.GetProperty("model_name").GetString());
        Assert.Equal(5, llm.GetProperty("scale").GetInt32());
        Assert.Equal(3, llm.GetProperty("threshold").GetProperty("min").GetDouble());
        Assert.Equal(25, llm.GetProperty("sampling_percentage").GetDouble());
        Assert.True(llm.GetProperty("enabled_in_prod").GetBoolean());
        Assert.True(llm.GetProperty("needs_ground_truth").GetBoolean());
        Assert.Equal("judge", llm.GetProperty("description").GetString());
        Assert.Equal("event_type", llm.GetProperty("filters").GetProperty("filterArray")[0].GetProperty("field").GetString());

        var onlyLlm = await a.GetJsonAsync("/v1/metrics?type=LLM");
        Assert.All(onlyLlm.GetProperty("metrics").EnumerateArray(), m => Assert.Equal("LLM", m.GetProperty("type").GetString()));
        Assert.Contains(onlyLlm.GetProperty("metrics").EnumerateArray(), m => m.GetProperty("name").GetString() == "llm-all-fields");
    }

    [Fact]
    public async Task Categorical_and_composite_metrics_keep_their_categories_and_children()
    {
        var categorical = await GetAsync(await CreateAsync(a, new
        {
            name = "tone", type = "HUMAN", criteria = "Pick the tone.", return_type = "categorical",
            categories = new object[] { new { category = "polite", score = 1 }, new { category = "rude", score = (double?)null } },
            threshold = new { passing_categories = new[] { "polite" } },
        }));
        Assert.True(categorical.GetProperty("enabled_in_prod").GetBoolean()); // HUMAN metrics default to on
        Assert.Equal(2, categorical.GetProperty("categories").GetArrayLength());
        Assert.Equal("polite", categorical.GetProperty("threshold").GetProperty("passing_categories")[0].GetString());

        var composite = await GetAsync(await CreateAsync(a, new
        {
            name = "overall", type = "COMPOSITE", criteria = "weighted",
            child_metrics = new object[] { new { name = "tone", weight = 0.5 }, new { name = "accuracy", weight = 0.5, scale = 5 } },
        }));
        Assert.Equal("accuracy", composite.GetProperty("child_metrics")[1].GetProperty("name").GetString());
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"type":"PYTHON","criteria":"x"}""", "name" },
        { $$"""{"name":"{{new string('n', 201)}}","type":"PYTHON","criteria":"x"}""", "name" },
        { """{"name":"m","type":"SQL","criteria":"x"}""", "type" },
        { """{"name":"m","criteria":"x"}""", "type" },
        { """{"name":"m","type":"PYTHON"}""", "criteria" },
        { """{"name":"m","type":"PYTHON","criteria":"   "}""", "criteria" },
        { """{"name":"m","type":"LLM","criteria":"judge","model_name":"gpt-4o"}""", "model_provider" },
        { """{"name":"m","type":"LLM","criteria":"judge","model_provider":"openai"}""", "model_name" },
        { """{"name":"m","type":"COMPOSITE","criteria":"c"}""", "child_metrics" },
        { """{"name":"m","type":"COMPOSITE","criteria":"c","child_metrics":[]}""", "child_metrics" },
        { """{"name":"m","type":"COMPOSITE","criteria":"c","child_metrics":[{"name":"a"}]}""", "child_metrics[0].weight" },
        { """{"name":"m","type":"HUMAN","criteria":"c","return_type":"categorical"}""", "categories" },
        { """{"name":"m","type":"HUMAN","criteria":"c","return_type":"categorical","categories":[]}""", "categories" },
        { """{"name":"m","type":"HUMAN","criteria":"c","return_type":"categorical","categories":[{"score":1}]}""", "categories[0].category" },
        { """{"name":"m","type":"HUMAN","criteria":"c","return_type":"categorical","categories":[{"category":"a","score":1}],"threshold":{"passing_categories":["b"]}}""", "threshold.passing_categories[0]" },
        { """{"name":"m","type":"PYTHON","criteria":"x","return_type":"int"}""", "return_type" },
        { """{"name":"m","type":"PYTHON","criteria":"x","sampling_percentage":101}""", "sampling_percentage" },
        { """{"name":"m","type":"PYTHON","criteria":"x","sampling_percentage":-1}""", "sampling_percentage" },
        { """{"name":"m","type":"PYTHON","criteria":"x","sampling_percentage":"ten"}""", "sampling_percentage" },
        { """{"name":"m","type":"PYTHON","criteria":"x","scale":0}""", "scale" },
        { """{"name":"m","type":"PYTHON","criteria":"x","scale":1.5}""", "scale" },
        { """{"name":"m","type":"PYTHON","criteria":"x","threshold":{"min":5,"max":1}}""", "threshold.min" },
        { """{"name":"m","type":"PYTHON","criteria":"x","threshold":{"above":1}}""", "threshold.above" },
        { """{"name":"m","type":"PYTHON","criteria":"x","threshold":{"pass_when":"yes"}}""", "threshold.pass_when" },
        { """{"name":"m","type":"PYTHON","criteria":"x","enabled_in_prod":"yes"}""", "enabled_in_prod" },
        { """{"name":"m","type":"PYTHON","criteria":"x","filters":{"filterArray":[{"field":"x","operator":"like","value":1,"type":"string"}]}}""", "filters.filterArray[0].operator" },
        { """{"name":"m","type":"PYTHON","criteria":"x","filters":{}}""", "filters.filterArray" },
        { """{"name":"m","type":"PYTHON","criteria":"x","code":"y"}""", "code" },
        { """not json""", "body" },
        { """[1,2]""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_definitions_are_400_problems_naming_the_field(string body, string field)
    {
        var problem = await a.PostJsonAsync("/v1/metrics", body, HttpStatusCode.BadRequest);
        problem.AssertNamesField(field);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Names_are_unique_per_project()
    {
        var first = await CreateAsync(a, Python("unique-name"));
        var conflict = await a.PostJsonAsync("/v1/metrics", Python("unique-name"), HttpStatusCode.Conflict);
        Assert.Equal("name", conflict.GetProperty("field").GetString());
        // Another project may use the same name.
        await CreateAsync(b, Python("unique-name"));
        // Renaming onto a taken name is a conflict too, and leaves the metric as it was.
        var other = await CreateAsync(a, Python("other-name"));
        await a.PutJsonAsync($"/v1/metrics/{other}", new { name = "unique-name" }, HttpStatusCode.Conflict);
        Assert.Equal("other-name", (await GetAsync(other)).GetProperty("name").GetString());
        Assert.Equal("unique-name", (await GetAsync(first)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Updates_create_versions_and_deploy_switches_the_active_one()
    {
        var id = await CreateAsync(a, Python("versioned", "def v1(e): return 1"));
        var updated = await a.PutJsonAsync($"/v1/metrics/{id}", new { criteria = "def v2(e): return 2", description = "second" });
        Assert.True(updated.GetProperty("updated").GetBoolean());

        var current = await GetAsync(id);
        Assert.Equal("def v2(e): return 2", current.GetProperty("criteria").GetString());
        Assert.Equal("versioned", current.GetProperty("name").GetString()); // partial update keeps the rest
        Assert.Equal(JsonValueKind.String, current.GetProperty("updated_at").ValueKind);

        var versions = (await a.GetJsonAsync($"/v1/metrics/{id}/versions")).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["v1", "v2"], versions.Select(v => v.GetProperty("name").GetString()));
        Assert.Equal([false, true], versions.Select(v => v.GetProperty("deployed").GetBoolean()));
        Assert.Equal("def v1(e): return 1", versions[0].GetProperty("content").GetProperty("criteria").GetString());
        Assert.Equal(64, versions[0].GetProperty("full_sha").GetString()!.Length);

        // A draft version does not change what reads return until it is deployed.
        var draft = await a.PostJsonAsync($"/v1/metrics/{id}/versions", new
        {
            message = "try v3", content = new { name = "versioned", type = "PYTHON", criteria = "def v3(e): return 3" },
        });
        Assert.Equal("v3", draft.GetProperty("data").GetProperty("name").GetString());
        Assert.False(draft.GetProperty("data").GetProperty("deployed").GetBoolean());
        Assert.Equal("def v2(e): return 2", (await GetAsync(id)).GetProperty("criteria").GetString());

        var deployed = await a.PostJsonAsync($"/v1/metrics/{id}/versions/v3/deploy", null);
        Assert.True(deployed.GetProperty("data").GetProperty("deployed").GetBoolean());
        Assert.Equal("def v3(e): return 3", (await GetAsync(id)).GetProperty("criteria").GetString());

        // Rolling back to the first version by its full sha.
        var sha = versions[0].GetProperty("full_sha").GetString();
        await a.PostJsonAsync($"/v1/metrics/{id}/versions/{sha}/deploy", null);
        Assert.Equal("def v1(e): return 1", (await GetAsync(id)).GetProperty("criteria").GetString());
        var one = await a.GetJsonAsync($"/v1/metrics/{id}/versions/2");
        Assert.Equal("def v2(e): return 2", one.GetProperty("data").GetProperty("content").GetProperty("criteria").GetString());

        var after = (await a.GetJsonAsync($"/v1/metrics/{id}/versions")).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([true, false, false], after.Select(v => v.GetProperty("deployed").GetBoolean()));
        await a.PostJsonAsync($"/v1/metrics/{id}/versions/v9/deploy", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_version_created_with_deploy_immediately_is_live_and_invalid_content_is_refused()
    {
        var id = await CreateAsync(a, Python("deploy-now"));
        var problem = await a.PostJsonAsync($"/v1/metrics/{id}/versions", new
        {
            message = "bad", content = new { name = "deploy-now", type = "LLM", criteria = "judge" },
        }, HttpStatusCode.BadRequest);
        problem.AssertNamesField("content.model_provider");
        (await a.PostJsonAsync($"/v1/metrics/{id}/versions", new { content = new { name = "x", type = "PYTHON", criteria = "c" } }, HttpStatusCode.BadRequest))
            .AssertNamesField("message");

        await a.PostJsonAsync($"/v1/metrics/{id}/versions", new
        {
            message = "judge", deploy_immediately = true,
            content = new { name = "deploy-now", type = "LLM", criteria = "judge", model_provider = "anthropic", model_name = "claude" },
        });
        Assert.Equal("LLM", (await GetAsync(id)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_invalid_update_is_refused_and_adds_no_version()
    {
        var id = await CreateAsync(a, Python("stays"));
        (await a.PutJsonAsync($"/v1/metrics/{id}", new { sampling_percentage = 200 }, HttpStatusCode.BadRequest)).AssertNamesField("sampling_percentage");
        (await a.PutJsonAsync($"/v1/metrics/{id}", new { type = "LLM" }, HttpStatusCode.BadRequest)).AssertNamesField("model_provider");
        (await a.PutJsonAsync($"/v1/metrics/{id}", new { nmae = "typo" }, HttpStatusCode.BadRequest)).AssertNamesField("nmae");
        Assert.Single((await a.GetJsonAsync($"/v1/metrics/{id}/versions")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Another_projects_key_gets_404_and_changes_nothing()
    {
        var id = await CreateAsync(a, Python("private"));

        await b.GetJsonAsync($"/v1/metrics/{id}", HttpStatusCode.NotFound);
        await b.PutJsonAsync($"/v1/metrics/{id}", new { criteria = "stolen" }, HttpStatusCode.NotFound);
        await b.PutJsonAsync("/v1/metrics", new { id, criteria = "stolen" }, HttpStatusCode.NotFound);
        await b.PutJsonAsync("/metrics", new { metric_id = id, criteria = "stolen" }, HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/v1/metrics/{id}/versions", HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/v1/metrics/{id}/versions/v1", HttpStatusCode.NotFound);
        await b.PostJsonAsync($"/v1/metrics/{id}/versions", new { message = "m", content = new { name = "x", type = "PYTHON", criteria = "c" } }, HttpStatusCode.NotFound);
        await b.PostJsonAsync($"/v1/metrics/{id}/versions/v1/deploy", null, HttpStatusCode.NotFound);
        await b.DeleteJsonAsync($"/v1/metrics/{id}", HttpStatusCode.NotFound);
        await b.DeleteJsonAsync($"/metrics?metric_id={id}", HttpStatusCode.NotFound);
        Assert.Empty((await b.GetJsonAsync($"/v1/metrics?id={id}")).GetProperty("metrics").EnumerateArray());
        Assert.DoesNotContain((await b.GetJsonAsync("/metrics")).EnumerateArray(), m => m.GetProperty("_id").GetString() == id);

        var unchanged = await GetAsync(id);
        Assert.Equal("def metric(event):\n    return 1.0", unchanged.GetProperty("criteria").GetString());
        Assert.Single((await a.GetJsonAsync($"/v1/metrics/{id}/versions")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Delete_removes_the_metric_and_its_history()
    {
        var id = await CreateAsync(a, Python("to-delete"));
        await a.PutJsonAsync($"/v1/metrics/{id}", new { description = "v2" });
        Assert.True((await a.DeleteJsonAsync($"/v1/metrics/{id}")).GetProperty("deleted").GetBoolean());
        await a.GetJsonAsync($"/v1/metrics/{id}", HttpStatusCode.NotFound);
        await a.GetJsonAsync($"/v1/metrics/{id}/versions", HttpStatusCode.NotFound);
        await a.DeleteJsonAsync($"/v1/metrics/{id}", HttpStatusCode.NotFound);
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM metric_versions WHERE metric_id = @id", new { id = Guid.Parse(id) }));

        // The deprecated delete takes the id as a query parameter.
        var legacy = await CreateAsync(a, Python("to-delete-legacy"));
        Assert.True((await a.DeleteJsonAsync($"/v1/metrics?metric_id={legacy}")).GetProperty("deleted").GetBoolean());
        await a.GetJsonAsync($"/v1/metrics/{legacy}", HttpStatusCode.NotFound);
        (await a.DeleteJsonAsync("/v1/metrics", HttpStatusCode.BadRequest)).AssertNamesField("metric_id");
    }

    [Fact]
    public async Task Legacy_routes_speak_the_SDK_shape()
    {
        var created = await a.PostJsonAsync("/metrics", new
        {
            name = "legacy-custom", task = "project-a", type = "custom", description = "old style", return_type = "boolean",
            code_snippet = "def check(event):\n    return True", threshold = new { min = 0, max = 1 }, pass_when = true,
            event_name = "answer", event_type = "model", enabled_in_prod = true,
        });
        var id = created.GetProperty("metric_id").GetString()!;

        var legacy = (await a.GetJsonAsync("/metrics?project_name=project-a")).EnumerateArray().Single(m => m.GetProperty("_id").GetString() == id);
        Assert.Equal("custom", legacy.GetProperty("type").GetString());
        Assert.Equal("project-a", legacy.GetProperty("task").GetString());
        Assert.Equal("def check(event):\n    return True", legacy.GetProperty("code_snippet").GetString());
        Assert.Equal("boolean", legacy.GetProperty("return_type").GetString());
        Assert.True(legacy.GetProperty("pass_when").GetBoolean());
        Assert.Equal("answer", legacy.GetProperty("event_name").GetString());
        Assert.Equal("model", legacy.GetProperty("event_type").GetString());
        Assert.False(legacy.TryGetProperty("model_provider", out _)); // never null: the SDK's schema rejects null

        var spec = await GetAsync(id);
        Assert.Equal("PYTHON", spec.GetProperty("type").GetString());
        Assert.True(spec.GetProperty("threshold").GetProperty("pass_when").GetBoolean());
        Assert.Equal(2, spec.GetProperty("filters").GetProperty("filterArray").GetArrayLength());

        await a.PutJsonAsync("/metrics", new { metric_id = id, description = "edited", event_name = "final-answer" });
        var edited = await GetAsync(id);
        Assert.Equal("edited", edited.GetProperty("description").GetString());
        var filters = edited.GetProperty("filters").GetProperty("filterArray").EnumerateArray().ToList();
        Assert.Equal(2, filters.Count);
        Assert.Contains(filters, f => f.GetProperty("value").GetString() == "final-answer");
        Assert.Contains(filters, f => f.GetProperty("value").GetString() == "model");

        var model = await a.PostJsonAsync("/metrics", new
        {
            name = "legacy-model", task = "project-a", type = "model", description = "", return_type = "float",
            prompt = "Rate {{outputs}}", model_provider = "openai", model_name = "gpt-4o",
        });
        var modelView = (await a.GetJsonAsync("/metrics")).EnumerateArray().Single(m => m.GetProperty("_id").GetString() == model.GetProperty("metric_id").GetString());
        Assert.Equal("model", modelView.GetProperty("type").GetString());
        Assert.Equal("Rate {{outputs}}", modelView.GetProperty("prompt").GetString());

        (await a.PostJsonAsync("/metrics", new { name = "bad", task = "p", type = "model", description = "", return_type = "float", prompt = "x" }, HttpStatusCode.BadRequest))
            .AssertNamesField("model_provider");
        Assert.True((await a.DeleteJsonAsync($"/metrics?metric_id={id}")).GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task List_parameters_are_checked()
    {
        (await a.GetJsonAsync("/v1/metrics?type=SQL", HttpStatusCode.BadRequest)).AssertNamesField("type");
        (await a.GetJsonAsync("/v1/metrics?limit=0", HttpStatusCode.BadRequest)).AssertNamesField("limit");
        (await a.GetJsonAsync("/v1/metrics?limit=1001", HttpStatusCode.BadRequest)).AssertNamesField("limit");
        await CreateAsync(a, Python("limit-1"));
        await CreateAsync(a, Python("limit-2"));
        Assert.Single((await a.GetJsonAsync("/v1/metrics?limit=1")).GetProperty("metrics").EnumerateArray());
        Assert.Empty((await a.GetJsonAsync("/v1/metrics?id=not-a-guid")).GetProperty("metrics").EnumerateArray());
    }

    [Fact]
    public async Task The_database_refuses_to_rewrite_a_version()
    {
        var id = Guid.Parse(await CreateAsync(a, Python("immutable")));
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("UPDATE metric_versions SET message = 'rewritten' WHERE metric_id = @id", new { id }));
        Assert.Contains("immutable", error.MessageText);
    }
}
