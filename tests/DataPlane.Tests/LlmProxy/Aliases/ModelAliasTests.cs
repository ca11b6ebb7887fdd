using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Routing;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Aliases;

/// <summary>Workspace model aliases: the routes, their checks, the fallback they drive, and tenancy.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class ModelAliasTests(LlmProxyFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");
    private readonly HttpClient b = fixture.Client("key-b"); // A's workspace, another project
    private readonly HttpClient d = fixture.Client("key-d"); // another workspace

    [Fact]
    public async Task An_alias_is_created_read_listed_replaced_and_deleted()
    {
        var created = await PutAsync(a, "crud-alias", "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        var read = await a.GetFromJsonAsync<JsonObject>("/v1/model-aliases/crud-alias");
        Assert.Equal(["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku"], read!["targets"]!.AsArray().Select(t => t!.ToString()));
        var list = await b.GetFromJsonAsync<JsonObject>("/v1/model-aliases"); // the workspace's, from any of its projects
        Assert.Contains(list!["aliases"]!.AsArray(), x => x!["name"]!.ToString() == "crud-alias");
        var models = await a.GetFromJsonAsync<JsonObject>("/v1/models");
        Assert.Contains(models!["data"]!.AsArray(), m => m!["id"]!.ToString() == "crud-alias" && m["owned_by"]!.ToString() == "alias");

        await PutAsync(a, "crud-alias", "openai/gpt-4o");
        Assert.Equal(["openai/gpt-4o"], (await a.GetFromJsonAsync<JsonObject>("/v1/model-aliases/crud-alias"))!["targets"]!.AsArray().Select(t => t!.ToString()));

        Assert.Equal(HttpStatusCode.OK, (await a.DeleteAsync("/v1/model-aliases/crud-alias")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/v1/model-aliases/crud-alias")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.DeleteAsync("/v1/model-aliases/crud-alias")).StatusCode);
    }

    [Theory]
    [InlineData("bad-alias", "[]", "targets")]
    [InlineData("bad-alias", """["a/1","a/2","a/3","a/4","a/5","a/6","a/7","a/8","a/9","a/10","a/11"]""", "targets")]
    [InlineData("bad-alias", """["gpt-4o"]""", "targets[0]")]
    [InlineData("bad-alias", """["openai/gpt-4o", "Bad Provider!/m"]""", "targets[1]")]
    [InlineData("bad-alias", """["openai/gpt-4o", 7]""", "targets[1]")]
    [InlineData("bad-alias", "\"openai/gpt-4o\"", "targets")]
    [InlineData(" padded", """["openai/gpt-4o"]""", "name")]
    public async Task An_alias_with_bad_targets_or_name_is_a_400_naming_the_field(string name, string targets, string field)
    {
        var response = await a.PutAsync("/v1/model-aliases/" + Uri.EscapeDataString(name),
            new StringContent($$"""{"targets":{{targets}}}""", System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(problem!["errors"]![field]);
    }

    [Fact]
    public async Task A_name_with_a_slash_or_longer_than_128_characters_is_refused()
    {
        // A route value never holds a decoded slash, so the store's own check is what refuses one.
        var slashed = Assert.Throws<HoneyHive.ServiceDefaults.ApiRequestException>(() => ModelAliasStore.Validate("team/model", ["openai/gpt-4o"]));
        var long129 = await a.PutAsync("/v1/model-aliases/" + new string('n', 129), Json("""{"targets":["openai/gpt-4o"]}"""));

        Assert.Contains("name", slashed.Errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, long129.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.PutAsync("/v1/model-aliases/" + new string('n', 128), Json("""{"targets":["openai/gpt-4o"]}"""))).StatusCode);
    }

    [Fact]
    public async Task An_alias_falls_back_to_its_second_target_when_the_first_keeps_failing()
    {
        await PutAsync(a, "fallback-alias", "openai/always-500", "openai/second-target");
        var fail = FakeOpenAiUpstream.Error(500, "upstream exploded");
        fixture.OpenAi.Script("always-500", fail, fail, fail, fail);

        var response = await a.PostAsJsonAsync("/v1/chat/completions",
            new { model = "fallback-alias", messages = new[] { new { role = "user", content = "fall back" } } });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: fall back", body!["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal(3, fixture.OpenAi.RequestsFor("always-500").Count()); // the first attempt and MaxRetries (2) retries
        Assert.Single(fixture.OpenAi.RequestsFor("second-target"));
    }

    [Fact]
    public async Task Another_workspace_neither_sees_nor_routes_through_an_alias()
    {
        await PutAsync(a, "private-alias", "openai/alias-target-of-a");

        Assert.Equal(HttpStatusCode.NotFound, (await d.GetAsync("/v1/model-aliases/private-alias")).StatusCode);
        Assert.DoesNotContain((await d.GetFromJsonAsync<JsonObject>("/v1/model-aliases"))!["aliases"]!.AsArray(), x => x!["name"]!.ToString() == "private-alias");
        Assert.Equal(HttpStatusCode.NotFound, (await d.DeleteAsync("/v1/model-aliases/private-alias")).StatusCode);

        // D's call with that name is D's own: a bare model name on D's openai key, never A's alias target.
        var response = await d.PostAsJsonAsync("/v1/chat/completions",
            new { model = "private-alias", messages = new[] { new { role = "user", content = "whose alias" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(fixture.OpenAi.RequestsFor("private-alias"));
        Assert.Empty(fixture.OpenAi.RequestsFor("alias-target-of-a"));
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/model-aliases/private-alias")).StatusCode); // D's delete did nothing
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string name, params string[] targets) =>
        client.PutAsJsonAsync("/v1/model-aliases/" + name, new { targets });

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
