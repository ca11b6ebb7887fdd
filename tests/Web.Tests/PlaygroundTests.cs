using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The Web UI with the Host's <c>openai</c> provider kind pointed at <see cref="FakeOpenAiUpstream"/> in this process
/// (loopback, admitted by the SSRF guard only because HH_ALLOWED_PRIVATE_HOSTS names it, as for a local Ollama), and the
/// workspace holding an <c>openai</c> key, so the playground's runs reach a provider whose answers the tests script.
/// </summary>
public sealed class PlaygroundUi : WebUi
{
    public FakeOpenAiUpstream Upstream { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Upstream = await FakeOpenAiUpstream.StartAsync();
        ExtraEnvironment["LlmProxy__ProviderBaseUrls__openai"] = Upstream.BaseUrl;
        ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        await base.InitializeAsync();
        await this.DpAsync(HttpMethod.Put, "/v1/provider-secrets/openai", new { value = "sk-playground-fake-upstream-key" });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

/// <summary>Settings and playground tests share one Host (and run one after the other): two would crowd a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class SettingsAndPlayground : ICollectionFixture<PlaygroundUi>
{
    public const string Name = "Settings and playground";
}

/// <summary>
/// The playground: a saved configuration run against the fake provider with its variables filled, the answer streamed
/// as it arrives, its tokens and latency, saving the edits as the next version; a blank prompt; and the errors a user
/// meets (no provider key, a provider refusing the call, a variable left empty) with what to do about each.
/// </summary>
[Collection(SettingsAndPlayground.Name)]
public sealed class PlaygroundTests(PlaygroundUi web)
{
    [Fact]
    public async Task A_configuration_runs_with_its_variables_and_the_answer_streams_in_as_it_arrives()
    {
        var model = "gpt-stream-" + Guid.NewGuid().ToString("N")[..6];
        const string answer = "Four is the answer to two plus two";
        web.Upstream.Script(model, (context, body) => FakeOpenAiUpstream.StreamTextAsync(context, model, answer, body, TimeSpan.FromMilliseconds(400)));
        var (id, name) = await CreateConfigurationAsync(model);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/playground");
        await page.GetByTestId("configuration-select").SelectOptionAsync(id);
        await Assertions.Expect(page.GetByTestId("version-select")).ToContainTextAsync("v1 (current)");
        await Assertions.Expect(page.GetByTestId("model-string")).ToHaveTextAsync($"openai/{model}");
        await Assertions.Expect(page.GetByTestId("temperature")).ToHaveValueAsync("0.5");
        await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("message").Nth(1)).ToContainTextAsync("Question: {{question}}");
        await page.GetByTestId("variable-question").FillAsync("What is two plus two?");
        await page.GetByTestId("temperature").FillAsync("0.2");

        await page.GetByTestId("run").ClickAsync();
        var text = page.GetByTestId("answer");
        // Streamed: the first words show while the provider is still sending the rest.
        await Assertions.Expect(text).ToContainTextAsync("Four is");
        await Assertions.Expect(page.GetByTestId("run")).ToHaveTextAsync("Running…");
        Assert.DoesNotContain("two plus two", await text.TextContentAsync() ?? "", StringComparison.Ordinal);
        await WebUi.ScreenshotAsync(page, "playground-streaming");

        await Assertions.Expect(text).ToHaveTextAsync(answer, new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("run")).ToHaveTextAsync("Run");
        await Assertions.Expect(page.GetByTestId("stat-latency")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("run-stats")).ToContainTextAsync("v1");
        // Tokens come from the model event the proxy traced (the fake answers 11 in, 7 out).
        await Assertions.Expect(page.GetByTestId("stat-tokens")).ToContainTextAsync("18 (11 in, 7 out)", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("trace-link")).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "playground-answer");

        var sent = web.Upstream.RequestsFor(model).Last().Body;
        Assert.Equal("Question: What is two plus two?", sent["messages"]![1]!["content"]!.GetValue<string>());
        Assert.Equal(0.2, sent["temperature"]!.GetValue<double>());
        Assert.Equal(name, (await web.DpAsync(HttpMethod.Get, $"/v1/configurations/{id}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Edits_are_saved_as_the_configurations_next_version()
    {
        var model = "gpt-save-" + Guid.NewGuid().ToString("N")[..6];
        var (id, name) = await CreateConfigurationAsync(model);
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/playground?config={id}");
        await Assertions.Expect(page.GetByTestId("temperature")).ToHaveValueAsync("0.5");
        await Assertions.Expect(page.GetByTestId("save-version")).ToBeDisabledAsync(); // nothing changed yet

        await page.GetByTestId("temperature").FillAsync("0.9");
        await page.GetByTestId("message-content").Nth(1).Locator(".cm-content").FillAsync("Question: {{question}} Answer in {{style}}.");
        await Assertions.Expect(page.GetByTestId("unsaved")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("variable-style")).ToBeVisibleAsync(); // a new placeholder gets a field
        await page.GetByTestId("save-version").ClickAsync();

        await Assertions.Expect(page.GetByTestId("save-note")).ToHaveTextAsync($"Saved as version 2 of “{name}”.");
        await Assertions.Expect(page.GetByTestId("version-select")).ToContainTextAsync("v2 (current)");
        await Assertions.Expect(page.GetByTestId("unsaved")).ToHaveCountAsync(0);
        await WebUi.ScreenshotAsync(page, "playground-saved-version");

        var versions = (await web.DpAsync(HttpMethod.Get, $"/v1/configurations/{id}/versions")).GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(2, versions.Count);
        var current = versions.Single(v => v.GetProperty("current").GetBoolean()).GetProperty("configuration");
        Assert.Equal(2, current.GetProperty("version").GetInt32());
        Assert.Equal(0.9, current.GetProperty("parameters").GetProperty("hyperparameters").GetProperty("temperature").GetDouble());
        Assert.Equal("Question: {{question}} Answer in {{style}}.", current.GetProperty("parameters").GetProperty("template")[1].GetProperty("content").GetString());
        Assert.Equal(model, current.GetProperty("parameters").GetProperty("model").GetString());

        // The first version is still there to go back to.
        await page.GetByTestId("version-select").SelectOptionAsync("1");
        await Assertions.Expect(page.GetByTestId("temperature")).ToHaveValueAsync("0.5");
    }

    [Fact]
    public async Task A_new_project_starts_from_a_blank_prompt_which_runs_and_is_saved_as_its_first_configuration()
    {
        var projectId = await web.CreateSyncedProjectAsync("playground-" + Guid.NewGuid().ToString("N")[..6]);
        var model = "gpt-blank-" + Guid.NewGuid().ToString("N")[..6];
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{projectId}/playground");

        await Assertions.Expect(page.GetByTestId("no-configurations")).ToContainTextAsync("No saved configurations in this project yet");
        await Assertions.Expect(page.GetByTestId("answer-empty")).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "playground-empty");

        // A variable left empty is caught before anything is sent.
        await page.GetByTestId("model-target").SelectOptionAsync("provider:openai");
        await page.GetByTestId("model-name").FillAsync(model);
        await page.GetByTestId("run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("run-problem")).ToHaveTextAsync("Fill the variable “question”.");
        Assert.Empty(web.Upstream.RequestsFor(model));

        await page.GetByTestId("variable-question").FillAsync("Hello there");
        await page.GetByTestId("run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("answer")).ToHaveTextAsync("echo: Hello there", new() { Timeout = 30_000 });
        // A blank prompt runs through /v1/chat/completions, which streams the usage itself.
        await Assertions.Expect(page.GetByTestId("stat-tokens")).ToContainTextAsync("18");

        var name = "first-" + Guid.NewGuid().ToString("N")[..6];
        await page.GetByTestId("save-new").ClickAsync();
        await page.GetByTestId("configuration-name").FillAsync(name);
        await page.GetByTestId("name-dialog").GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("save-note")).ToHaveTextAsync($"Saved as the new configuration “{name}” (version 1).");
        await Assertions.Expect(page.GetByTestId("configuration-select").Locator("option:checked")).ToHaveTextAsync($"{name} (v1)");
        await Assertions.Expect(page.GetByTestId("no-configurations")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_model_whose_provider_has_no_key_says_where_to_add_one()
    {
        var (id, _) = await CreateConfigurationAsync("llama-3-70b", provider: "groq");
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/playground?config={id}");
        await Assertions.Expect(page.GetByTestId("model-no-key")).ToContainTextAsync("The workspace has no key for “groq”");
        await page.GetByTestId("variable-question").FillAsync("Anyone there?");

        await page.GetByTestId("run").ClickAsync();
        var error = page.GetByTestId("run-error");
        await Assertions.Expect(error).ToContainTextAsync("The workspace has no key for provider 'groq'");
        await Assertions.Expect(error).ToContainTextAsync("Add the provider's key in Settings → Provider keys");
        await WebUi.ScreenshotAsync(page, "playground-no-provider-key");

        await error.GetByRole(AriaRole.Link, new() { Name = "Settings → Provider keys" }).ClickAsync();
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/settings?tab=providers");
        await Assertions.Expect(page.GetByTestId("provider-form")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_provider_refusing_the_call_is_shown_as_its_error_and_never_signs_the_user_out()
    {
        var model = "gpt-refused-" + Guid.NewGuid().ToString("N")[..6];
        // A 401 from the provider (its key is wrong) is passed through by the proxy; it is not the platform's 401.
        web.Upstream.Script(model, FakeOpenAiUpstream.Error(401, "Incorrect API key provided: sk-play****-key.", "invalid_request_error"));
        var (id, _) = await CreateConfigurationAsync(model);
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/playground?config={id}");
        // The configuration's model is in the form before Run (a click before it loads answers "Choose a model").
        await Assertions.Expect(page.GetByTestId("model-string")).ToHaveTextAsync($"openai/{model}");
        await page.GetByTestId("variable-question").FillAsync("Will this work?");

        await page.GetByTestId("run").ClickAsync();
        var error = page.GetByTestId("run-error");
        await Assertions.Expect(error).ToContainTextAsync("The run failed (401).");
        await Assertions.Expect(error).ToContainTextAsync("Incorrect API key provided");
        await Assertions.Expect(error).ToContainTextAsync("The provider refused the workspace's key: replace it in Settings → Provider keys.");
        await WebUi.ScreenshotAsync(page, "playground-provider-error");
        Assert.EndsWith($"/p/{web.ProjectId}/playground?config={id}", page.Url, StringComparison.Ordinal);
        Assert.Single(web.Upstream.RequestsFor(model)); // sent once: not retried as if the platform had asked for a fresh token

        // Still signed in: the next run works.
        await page.GetByTestId("run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("answer")).ToHaveTextAsync("echo: Question: Will this work?", new() { Timeout = 30_000 });
    }

    private async Task<(string Id, string Name)> CreateConfigurationAsync(string model, string provider = "openai")
    {
        var name = "support-answer-" + Guid.NewGuid().ToString("N")[..6];
        var created = await web.DpAsync(HttpMethod.Post, "/v1/configurations", new
        {
            name,
            provider,
            parameters = new
            {
                call_type = "chat",
                model,
                hyperparameters = new { temperature = 0.5 },
                template = new object[]
                {
                    new { role = "system", content = "You answer briefly." },
                    new { role = "user", content = "Question: {{question}}" },
                },
            },
        });
        return (created.GetProperty("insertedId").GetString()!, name);
    }
}
