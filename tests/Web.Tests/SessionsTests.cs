using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The session list and the trace view over traces sent through OTLP: live arrival without a reload, filters,
/// the span tree, a model span's messages, feedback, deep links, and the empty and error states.
/// </summary>
public sealed class SessionsTests(WebUi web) : IClassFixture<WebUi>
{
    [Fact]
    public async Task A_session_sent_through_otlp_appears_in_the_open_list_without_a_reload()
    {
        var page = await web.SignedInPageAsync();
        var trace = new AgentTrace(SessionName: "live-" + Guid.NewGuid().ToString("N")[..6], UserId: "ada");
        var list = page.GetByRole(AriaRole.Grid, new() { Name = "Sessions" });
        var rowOfSession = page.GetByTestId("table-row").Filter(new() { HasText = "ada" });
        await Assertions.Expect(rowOfSession).ToHaveCountAsync(0);

        await web.SendOtlpAsync(trace.ToOtlpJson());

        // No navigation: the list reads its first page again every few seconds.
        await Assertions.Expect(rowOfSession).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(list).ToBeVisibleAsync();
        await Assertions.Expect(rowOfSession).ToContainTextAsync("132"); // tokens: 120 in + 12 out
        await WebUi.ScreenshotAsync(page, "sessions-list");
    }

    [Fact]
    public async Task The_trace_view_shows_the_tree_and_a_model_spans_messages_by_role()
    {
        var trace = new AgentTrace(SessionName: "tree", Question: "Which river runs through Paris?", Answer: "The Seine.");
        await web.SendOtlpAsync(trace.ToOtlpJson());
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/sessions/{trace.SessionId}");
        var rows = page.GetByTestId("span-row");
        await Assertions.Expect(rows).ToHaveCountAsync(4, new() { Timeout = 30_000 }); // session, chain, model, tool
        await rows.Filter(new() { HasText = "chat gpt-4o" }).ClickAsync();

        var panel = page.GetByTestId("span-panel");
        await Assertions.Expect(panel.GetByTestId("span-title")).ToHaveTextAsync("chat gpt-4o");
        var messages = panel.GetByTestId("chat-message");
        await Assertions.Expect(messages).ToHaveCountAsync(3);
        await Assertions.Expect(messages.Nth(0)).ToHaveAttributeAsync("data-role", "system");
        await Assertions.Expect(messages.Nth(1)).ToContainTextAsync("Which river runs through Paris?");
        await Assertions.Expect(messages.Nth(2)).ToHaveAttributeAsync("data-role", "assistant");
        await Assertions.Expect(messages.Nth(2)).ToContainTextAsync("The Seine.");
        await Assertions.Expect(panel).ToContainTextAsync("gpt-4o");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"\?span=[0-9a-f-]{36}$"));
        await WebUi.ScreenshotAsync(page, "trace-model-span");
    }

    [Fact]
    public async Task A_deep_link_opens_its_span_and_the_keyboard_walks_the_tree()
    {
        var trace = new AgentTrace(SessionName: "deep-link");
        await web.SendOtlpAsync(trace.ToOtlpJson());
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/sessions/{trace.SessionId}");
        var tool = page.GetByTestId("span-row").Filter(new() { HasText = "search_web" });
        await Assertions.Expect(tool).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        var toolId = await tool.GetAttributeAsync("data-event-id");

        var linked = await web.SignedInPageAsync();
        await linked.GotoAsync($"/p/{web.ProjectId}/sessions/{trace.SessionId}?span={toolId}");
        await Assertions.Expect(linked.GetByTestId("span-title")).ToHaveTextAsync("search_web");

        // Up from the tool span is the model span (its earlier sibling), then the chain.
        await linked.GetByTestId("span-tree").FocusAsync();
        await linked.Keyboard.PressAsync("ArrowUp");
        await Assertions.Expect(linked.GetByTestId("span-title")).ToHaveTextAsync("chat gpt-4o");
        await linked.Keyboard.PressAsync("ArrowUp");
        await Assertions.Expect(linked.GetByTestId("span-title")).ToHaveTextAsync("agent.run");
    }

    [Fact]
    public async Task Feedback_added_from_the_span_panel_is_stored_on_the_event()
    {
        var trace = new AgentTrace(SessionName: "feedback");
        await web.SendOtlpAsync(trace.ToOtlpJson());
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/sessions/{trace.SessionId}");
        var model = page.GetByTestId("span-row").Filter(new() { HasText = "chat gpt-4o" });
        await Assertions.Expect(model).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await model.ClickAsync();
        var eventId = await model.GetAttributeAsync("data-event-id");
        // The panel is rebuilt for the clicked span; filling the form before that would fill the old one.
        await Assertions.Expect(page.GetByTestId("span-title")).ToHaveTextAsync("chat gpt-4o");

        await page.GetByLabel("Rating").SelectOptionAsync("2");
        await page.GetByLabel("Comment").FillAsync("answer was too short");
        await page.GetByLabel("Score name").FillAsync("helpfulness");
        await page.GetByLabel("Score", new() { Exact = true }).FillAsync("0.25");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save feedback" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Feedback saved.")).ToBeVisibleAsync();

        // Read back through the API: what the UI wrote is what the event holds.
        using var client = web.Client(web.DataPlaneApi, web.ApiKey);
        var stored = await Eventually.ValueAsync(
            async () => System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative))).RootElement.GetProperty("event").Clone(),
            e => e.GetProperty("feedback").TryGetProperty("comment", out _), "the feedback to be stored", TimeSpan.FromSeconds(20));
        Assert.Equal(2, stored.GetProperty("feedback").GetProperty("rating").GetInt32());
        Assert.Equal("answer was too short", stored.GetProperty("feedback").GetProperty("comment").GetString());
        Assert.Equal(0.25, stored.GetProperty("metrics").GetProperty("helpfulness").GetDouble());

        // The panel shows it once the tree is read again.
        await Assertions.Expect(page.GetByTestId("bucket-feedback")).ToContainTextAsync("answer was too short", new() { Timeout = 20_000 });
        await WebUi.ScreenshotAsync(page, "trace-feedback");
    }

    [Fact]
    public async Task A_filter_on_the_user_narrows_the_list_to_that_users_sessions()
    {
        var user = "grace-" + Guid.NewGuid().ToString("N")[..6];
        await web.SendOtlpAsync(new AgentTrace(SessionName: "mine", UserId: user).ToOtlpJson());
        await web.SendOtlpAsync(new AgentTrace(SessionName: "other", UserId: "someone-else").ToOtlpJson());
        var page = await web.SignedInPageAsync();
        await Assertions.Expect(page.GetByTestId("table-row").Filter(new() { HasText = user })).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        await page.GetByLabel("Filter field").FillAsync("user_properties.user_id");
        await page.GetByLabel("Filter operator").SelectOptionAsync("is");
        await page.GetByLabel("Filter value").FillAsync(user);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add filter" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("active-filter")).ToContainTextAsync(user);
        await Assertions.Expect(page.GetByTestId("table-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("table-row")).ToContainTextAsync(user);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("filters="));
        await WebUi.ScreenshotAsync(page, "sessions-filtered");
    }

    [Fact]
    public async Task A_project_without_data_says_where_to_send_a_first_trace()
    {
        var projectId = await web.CreateProjectAsync("empty-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{projectId}/sessions");

        var empty = page.GetByTestId("empty-state");
        await Assertions.Expect(empty).ToContainTextAsync("No sessions in this range yet");
        await Assertions.Expect(empty).ToContainTextAsync(web.OtlpHttp.ToString().TrimEnd('/') + "/v1/traces");
        await Assertions.Expect(empty.GetByRole(AriaRole.Link, new() { Name = "Settings → API keys" })).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "sessions-empty");
    }

    [Fact]
    public async Task Filters_that_match_nothing_and_an_unknown_session_each_say_what_happened()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/sessions?filters=" + Uri.EscapeDataString("[{\"field\":\"event_name\",\"operator\":\"is\",\"value\":\"no-such-session\",\"type\":\"string\"}]"));
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No session matches these filters");

        await page.GotoAsync($"/p/{web.ProjectId}/sessions/{Guid.NewGuid()}");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not load session" })).ToContainTextAsync("Session not found");
        await WebUi.ScreenshotAsync(page, "trace-not-found");
    }
}
