using System.Net;
using System.Text.Json;
using HoneyHive.DataPlane.Tests.Definitions;

namespace HoneyHive.DataPlane.Tests.Configurations;

public sealed class ConfigurationTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b");

    private static object Prompt(string name, string model = "gpt-4o", string[]? env = null, string[]? tags = null) => new
    {
        name, provider = "openai", env = env ?? ["dev"], tags = tags ?? ["support"], user_properties = new { owner = "team-a" },
        parameters = new
        {
            call_type = "chat", model, hyperparameters = new { temperature = 0.2, max_tokens = 256 },
            template = new[] { new { role = "system", content = "You are helpful." }, new { role = "user", content = "{{question}}" } },
            selectedFunctions = new[] { new { id = "f1", name = "lookup", description = "find", parameters = new { type = "object" } } },
            functionCallParams = "auto", responseFormat = new { type = "text" },
        },
    };

    private async Task<string> CreateAsync(HttpClient client, object body)
    {
        var created = await client.PostJsonAsync("/v1/configurations", body);
        Assert.True(created.GetProperty("acknowledged").GetBoolean());
        return created.GetProperty("insertedId").GetString()!;
    }

    [Fact]
    public async Task Create_and_list_keep_every_field()
    {
        var id = await CreateAsync(a, Prompt("support-bot"));
        var list = await a.GetJsonAsync("/v1/configurations?name=support-bot");
        var item = Assert.Single(list.GetProperty("configurations").EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("LLM", item.GetProperty("type").GetString());
        Assert.Equal("openai", item.GetProperty("provider").GetString());
        Assert.Equal(["dev"], item.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["support"], item.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("team-a", item.GetProperty("user_properties").GetProperty("owner").GetString());
        var parameters = item.GetProperty("parameters");
        Assert.Equal("chat", parameters.GetProperty("call_type").GetString());
        Assert.Equal("gpt-4o", parameters.GetProperty("model").GetString());
        Assert.Equal(0.2, parameters.GetProperty("hyperparameters").GetProperty("temperature").GetDouble());
        Assert.Equal("{{question}}", parameters.GetProperty("template")[1].GetProperty("content").GetString());
        Assert.Equal("lookup", parameters.GetProperty("selectedFunctions")[0].GetProperty("name").GetString());
        Assert.Equal("auto", parameters.GetProperty("functionCallParams").GetString());
        Assert.Equal(1, item.GetProperty("version").GetInt32());
        Assert.True(DateTime.TryParse(item.GetProperty("created_at").GetString(), out _));

        // A pipeline with a plain-string template and no environments.
        var pipeline = await CreateAsync(a, new { name = "rag-pipeline", type = "pipeline", provider = "custom", parameters = new { call_type = "completion", model = "m", template = "Q: {{q}}" } });
        var fetched = await a.GetJsonAsync($"/v1/configurations/{pipeline}");
        Assert.Equal("pipeline", fetched.GetProperty("type").GetString());
        Assert.Empty(fetched.GetProperty("env").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, fetched.GetProperty("user_properties").ValueKind);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"provider":"openai","parameters":{"call_type":"chat","model":"m"}}""", "name" },
        { """{"name":" ","provider":"openai","parameters":{"call_type":"chat","model":"m"}}""", "name" },
        { """{"name":"c","parameters":{"call_type":"chat","model":"m"}}""", "provider" },
        { """{"name":"c","provider":"openai"}""", "parameters" },
        { """{"name":"c","provider":"openai","parameters":"gpt-4o"}""", "parameters" },
        { """{"name":"c","provider":"openai","parameters":{"model":"m"}}""", "parameters.call_type" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"stream","model":"m"}}""", "parameters.call_type" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat"}}""", "parameters.model" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat","model":"m","hyperparameters":[1]}}""", "parameters.hyperparameters" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat","model":"m","functionCallParams":"always"}}""", "parameters.functionCallParams" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat","model":"m","selectedFunctions":[1]}}""", "parameters.selectedFunctions[0]" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat","model":"m","template":[{"content":"hi"}]}}""", "parameters.template[0].role" },
        { """{"name":"c","provider":"openai","parameters":{"call_type":"chat","model":"m","template":5}}""", "parameters.template" },
        { """{"name":"c","type":"agent","provider":"openai","parameters":{"call_type":"chat","model":"m"}}""", "type" },
        { """{"name":"c","provider":"openai","env":["qa"],"parameters":{"call_type":"chat","model":"m"}}""", "env[0]" },
        { """{"name":"c","provider":"openai","tags":[1],"parameters":{"call_type":"chat","model":"m"}}""", "tags[0]" },
        { """{"name":"c","provider":"openai","user_properties":"x","parameters":{"call_type":"chat","model":"m"}}""", "user_properties" },
        { """{"name":"c","provider":"openai","project":"p","parameters":{"call_type":"chat","model":"m"}}""", "project" },
        { """nope""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_configurations_are_400_problems_naming_the_field(string body, string field) =>
        (await a.PostJsonAsync("/v1/configurations", body, HttpStatusCode.BadRequest)).AssertNamesField(field);

    [Fact]
    public async Task A_save_writes_a_new_version_and_old_versions_stay_readable()
    {
        var id = await CreateAsync(a, Prompt("history", model: "gpt-4o"));
        var updated = await a.PutJsonAsync($"/v1/configurations/{id}", new
        {
            name = "history", env = new[] { "dev", "prod" },
            parameters = new { call_type = "chat", model = "gpt-4o-mini", hyperparameters = new { temperature = 0 } },
        });
        Assert.True(updated.GetProperty("acknowledged").GetBoolean());
        Assert.Equal(1, updated.GetProperty("modifiedCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("upsertedId").ValueKind);

        var current = await a.GetJsonAsync($"/v1/configurations/{id}");
        Assert.Equal("gpt-4o-mini", current.GetProperty("parameters").GetProperty("model").GetString());
        Assert.Equal(["dev", "prod"], current.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("openai", current.GetProperty("provider").GetString()); // fields not sent stay
        Assert.Equal(2, current.GetProperty("version").GetInt32());

        var versions = (await a.GetJsonAsync($"/v1/configurations/{id}/versions")).GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([1, 2], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([false, true], versions.Select(v => v.GetProperty("current").GetBoolean()));
        var first = await a.GetJsonAsync($"/v1/configurations/{id}/versions/1");
        Assert.Equal("gpt-4o", first.GetProperty("configuration").GetProperty("parameters").GetProperty("model").GetString());
        Assert.Equal(["dev"], first.GetProperty("configuration").GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        await a.GetJsonAsync($"/v1/configurations/{id}/versions/3", HttpStatusCode.NotFound);

        (await a.PutJsonAsync($"/v1/configurations/{id}", new { provider = "anthropic" }, HttpStatusCode.BadRequest)).AssertNamesField("name");
        (await a.PutJsonAsync($"/v1/configurations/{id}", new { name = "history", parameters = new { call_type = "chat" } }, HttpStatusCode.BadRequest))
            .AssertNamesField("parameters.model");
        Assert.Equal(2, (await a.GetJsonAsync($"/v1/configurations/{id}/versions")).GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public async Task Lists_filter_by_environment_name_and_tags()
    {
        await CreateAsync(a, Prompt("filter-prod", env: ["prod"], tags: ["billing", "beta"]));
        await CreateAsync(a, Prompt("filter-dev", env: ["dev"], tags: ["billing"]));

        var prod = (await a.GetJsonAsync("/v1/configurations?env=prod")).GetProperty("configurations").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("filter-prod", prod);
        Assert.DoesNotContain("filter-dev", prod);
        var tagged = (await a.GetJsonAsync("/v1/configurations?tags=billing,beta")).GetProperty("configurations").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["filter-prod"], tagged);
        (await a.GetJsonAsync("/v1/configurations?env=qa", HttpStatusCode.BadRequest)).AssertNamesField("env");
        (await a.GetJsonAsync("/v1/configurations?limit=5000", HttpStatusCode.BadRequest)).AssertNamesField("limit");
    }

    [Fact]
    public async Task Names_are_unique_per_project()
    {
        await CreateAsync(a, Prompt("same-name"));
        await a.PostJsonAsync("/v1/configurations", Prompt("same-name"), HttpStatusCode.Conflict);
        await CreateAsync(b, Prompt("same-name"));
    }

    [Fact]
    public async Task Another_projects_key_gets_404_and_changes_nothing()
    {
        var id = await CreateAsync(a, Prompt("private-prompt"));
        await b.GetJsonAsync($"/v1/configurations/{id}", HttpStatusCode.NotFound);
        await b.PutJsonAsync($"/v1/configurations/{id}", new { name = "stolen" }, HttpStatusCode.NotFound);
        await b.PutJsonAsync($"/configurations/{id}", new { name = "stolen", project = "x" }, HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/v1/configurations/{id}/versions", HttpStatusCode.NotFound);
        await b.GetJsonAsync($"/v1/configurations/{id}/versions/1", HttpStatusCode.NotFound);
        await b.DeleteJsonAsync($"/v1/configurations/{id}", HttpStatusCode.NotFound);
        await b.DeleteJsonAsync($"/configurations/{id}", HttpStatusCode.NotFound);
        Assert.DoesNotContain((await b.GetJsonAsync("/v1/configurations")).GetProperty("configurations").EnumerateArray(), c => c.GetProperty("id").GetString() == id);
        Assert.DoesNotContain((await b.GetJsonAsync("/configurations")).EnumerateArray(), c => c.GetProperty("_id").GetString() == id);

        var unchanged = await a.GetJsonAsync($"/v1/configurations/{id}");
        Assert.Equal("private-prompt", unchanged.GetProperty("name").GetString());
        Assert.Equal(1, unchanged.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Delete_removes_the_configuration()
    {
        var id = await CreateAsync(a, Prompt("delete-me"));
        var deleted = await a.DeleteJsonAsync($"/v1/configurations/{id}");
        Assert.Equal(1, deleted.GetProperty("deletedCount").GetInt32());
        await a.GetJsonAsync($"/v1/configurations/{id}", HttpStatusCode.NotFound);
        await a.GetJsonAsync($"/v1/configurations/{id}/versions", HttpStatusCode.NotFound);
        await a.DeleteJsonAsync($"/v1/configurations/{id}", HttpStatusCode.NotFound);
        await a.DeleteJsonAsync("/v1/configurations/not-a-guid", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Legacy_routes_speak_the_SDK_shape()
    {
        var created = await a.PostJsonAsync("/configurations", new
        {
            project = "project-a", name = "legacy-prompt", provider = "openai", env = new[] { "staging" },
            parameters = new { call_type = "chat", model = "gpt-4o", hyperparameters = new { temperature = 1 }, extra_setting = "kept" },
        });
        var id = created.GetProperty("insertedId").GetString()!;

        var legacy = (await a.GetJsonAsync("/configurations?project=project-a&env=staging")).EnumerateArray().Single();
        Assert.Equal(id, legacy.GetProperty("_id").GetString());
        Assert.Equal("project-a", legacy.GetProperty("project").GetString());
        Assert.Equal("kept", legacy.GetProperty("parameters").GetProperty("extra_setting").GetString());
        Assert.False(legacy.TryGetProperty("user_properties", out _)); // the SDK's schema rejects null

        await a.PutJsonAsync($"/configurations/{id}", new
        {
            project = "project-a", name = "legacy-prompt", provider = "anthropic", type = "LLM",
            parameters = new { call_type = "chat", model = "claude-3-5-sonnet" },
        });
        var updated = (await a.GetJsonAsync("/configurations?name=legacy-prompt")).EnumerateArray().Single();
        Assert.Equal("anthropic", updated.GetProperty("provider").GetString());
        Assert.Equal(2, (await a.GetJsonAsync($"/v1/configurations/{id}/versions")).GetProperty("versions").GetArrayLength());

        await a.DeleteJsonAsync($"/configurations/{id}");
        Assert.Empty((await a.GetJsonAsync("/configurations?name=legacy-prompt")).EnumerateArray());
    }
}
