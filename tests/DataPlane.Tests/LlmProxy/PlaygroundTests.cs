using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary><c>POST /v1/playground/run</c> over configurations stored in dpdb, run through the fake OpenAI upstream and traced to JetStream.</summary>
[Collection(LlmProxyCollection.Name)]
public sealed class PlaygroundTests(LlmProxyFixture fixture)
{
    private readonly HttpClient a = fixture.Client("key-a");

    private ConfigurationStore Store => fixture.Services.GetRequiredService<ConfigurationStore>();

    private async Task<Guid> CreateAsync(string model)
    {
        var errors = new FieldErrors();
        var content = ConfigurationDefinition.Normalize(JsonNode.Parse($$$"""
            {
              "name": "playground-{{{Guid.NewGuid()}}}", "provider": "openai",
              "parameters": {
                "call_type": "chat", "model": "{{{model}}}",
                "hyperparameters": { "temperature": 0.1, "max_tokens": 20 },
                "template": [
                  { "role": "system", "content": "You help {{user}}." },
                  { "role": "user", "content": "Tell me about {{ topic }}" }
                ]
              }
            }
            """)!.AsObject(), errors);
        Assert.False(errors.Any);
        return await Store.CreateAsync(Tenants.A.ProjectId, content, CancellationToken.None);
    }

    [Fact]
    public async Task A_run_renders_the_template_applies_the_hyperparameters_and_is_traced_with_the_configuration_and_version()
    {
        var model = "pg-render-" + Guid.NewGuid();
        var id = await CreateAsync(model);
        var topic = "topic-" + Guid.NewGuid();

        var response = await a.PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, inputs = new { user = "Ada", topic } });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"echo: Tell me about {topic}", body!["choices"]![0]!["message"]!["content"]!.ToString());
        Assert.Equal(id.ToString(), response.Headers.GetValues("X-HH-Configuration-Id").Single());
        Assert.Equal("1", response.Headers.GetValues("X-HH-Configuration-Version").Single());
        var sent = Assert.Single(fixture.OpenAi.RequestsFor(model)).Body;
        Assert.Equal("You help Ada.", sent["messages"]![0]!["content"]!.ToString());
        Assert.Equal($"Tell me about {topic}", sent["messages"]![1]!["content"]!.ToString());
        Assert.Equal(0.1, sent["temperature"]!.GetValue<double>());
        Assert.Equal(20, sent["max_tokens"]!.GetValue<int>());

        var evt = Assert.Single(await PublishedModelEvents.WaitForAsync(e => PublishedModelEvents.HasMarker(e, $"Tell me about {topic}")));
        Assert.Equal("playground", evt["source"]!.ToString());
        Assert.Equal(id.ToString(), evt["metadata"]!["configuration_id"]!.ToString());
        Assert.Equal(1, evt["metadata"]!["configuration_version"]!.GetValue<int>());
        Assert.Equal(model, evt["config"]!["model"]!.ToString());
    }

    [Fact]
    public async Task A_variable_missing_from_the_inputs_is_a_400_naming_it_and_nothing_is_sent()
    {
        var model = "pg-missing-" + Guid.NewGuid();
        var id = await CreateAsync(model);

        var response = await a.PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, inputs = new { user = "Ada" }, save = true });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("inputs.topic", error["param"]!.ToString());
        Assert.Contains("'topic'", error["message"]!.ToString());
        Assert.Empty(fixture.OpenAi.RequestsFor(model));
        Assert.Equal(1, (await Store.GetAsync(Tenants.A.ProjectId, id, CancellationToken.None))!.Version); // nothing saved
    }

    [Fact]
    public async Task The_model_can_be_overridden_for_one_run_without_changing_the_configuration()
    {
        var id = await CreateAsync("pg-configured-" + Guid.NewGuid());
        var other = "pg-override-" + Guid.NewGuid();

        var response = await a.PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, model = "openai/" + other, inputs = new { user = "Ada", topic = "x" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.1, Assert.Single(fixture.OpenAi.RequestsFor(other)).Body["temperature"]!.GetValue<double>());
        var stored = await Store.GetAsync(Tenants.A.ProjectId, id, CancellationToken.None);
        Assert.Equal(1, stored!.Version);
        Assert.StartsWith("pg-configured-", stored.Content["parameters"]!["model"]!.ToString());
    }

    [Fact]
    public async Task A_streamed_run_arrives_as_server_sent_events_and_is_traced_as_streamed()
    {
        var model = "pg-stream-" + Guid.NewGuid();
        var id = await CreateAsync(model);
        var topic = "stream-" + Guid.NewGuid();

        var events = await ChatCompletionsTests.ReadEventsAsync(await a.PostAsJsonAsync("/v1/playground/run",
            new { configuration_id = id, stream = true, inputs = new { user = "Ada", topic } }));

        Assert.Equal("[DONE]", events[^1]);
        var text = string.Concat(events[..^1].Select(e => JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.ToString()));
        Assert.Equal($"echo: Tell me about {topic}", text);
        var evt = Assert.Single(await PublishedModelEvents.WaitForAsync(e => PublishedModelEvents.HasMarker(e, $"Tell me about {topic}")));
        Assert.True(evt["metadata"]!["streamed"]!.GetValue<bool>());
        Assert.Equal(id.ToString(), evt["metadata"]!["configuration_id"]!.ToString());
    }

    [Fact]
    public async Task A_run_with_save_keeps_the_edited_configuration_as_the_next_version_and_traces_that_version()
    {
        var id = await CreateAsync("pg-before-save-" + Guid.NewGuid());
        var edited = "pg-after-save-" + Guid.NewGuid();
        var topic = "save-" + Guid.NewGuid();

        var response = await a.PostAsJsonAsync("/v1/playground/run", new
        {
            configuration_id = id, save = true, model = "openai/" + edited, hyperparameters = new { temperature = 0.9 },
            inputs = new { user = "Ada", topic },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("X-HH-Configuration-Version").Single());
        var versions = (await Store.ListVersionsAsync(Tenants.A.ProjectId, id, 10, CancellationToken.None))!;
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        var saved = versions[1].Content;
        Assert.True(versions[1].Current);
        Assert.Equal(edited, saved["parameters"]!["model"]!.ToString());
        Assert.Equal(0.9, saved["parameters"]!["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal(20, saved["parameters"]!["hyperparameters"]!["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.1, versions[0].Content["parameters"]!["hyperparameters"]!["temperature"]!.GetValue<double>());
        var evt = Assert.Single(await PublishedModelEvents.WaitForAsync(e => PublishedModelEvents.HasMarker(e, $"Tell me about {topic}")));
        Assert.Equal(2, evt["metadata"]!["configuration_version"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_earlier_version_can_be_run_by_its_number()
    {
        var first = "pg-v1-" + Guid.NewGuid();
        var id = await CreateAsync(first);
        await a.PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, save = true, model = "openai/pg-v2-" + Guid.NewGuid(), inputs = new { user = "Ada", topic = "x" } });

        var response = await a.PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, version = 1, inputs = new { user = "Ada", topic = "y" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("X-HH-Configuration-Version").Single());
        Assert.Single(fixture.OpenAi.RequestsFor(first));
    }

    [Fact]
    public async Task Another_project_cannot_run_or_save_this_projects_configuration()
    {
        var model = "pg-isolated-" + Guid.NewGuid();
        var id = await CreateAsync(model);

        var response = await fixture.Client("key-b").PostAsJsonAsync("/v1/playground/run", new { configuration_id = id, save = true, inputs = new { user = "Eve", topic = "x" } });
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", error["type"]!.ToString());
        Assert.Empty(fixture.OpenAi.RequestsFor(model));
        Assert.Equal(1, (await Store.GetAsync(Tenants.A.ProjectId, id, CancellationToken.None))!.Version);
    }
}
