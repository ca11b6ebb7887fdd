using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>Annotation queues: creating one, scoring its events with the keyboard while progress moves; empty and error states.</summary>
[Collection(EvaluationUi.Name)]
public sealed class QueuesTests(WebUi web)
{
    [Fact]
    public async Task A_queue_created_from_a_filter_is_scored_with_the_keyboard_and_its_progress_moves()
    {
        var marker = EvaluationData.Marker();
        var metric = $"helpful_{marker}";
        await EvaluationData.CreateHumanMetricAsync(web, metric, "float", 5, "Rate how helpful the answer is, 1 (useless) to 5 (perfect).");
        var first = await EvaluationData.SendModelEventAsync(web, marker, "What is 2+2?", "4");
        var second = await EvaluationData.SendModelEventAsync(web, marker, "What is the capital of Italy?", "Rome.");
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/queues");
        await page.GetByTestId("new-queue").ClickAsync();
        await page.GetByTestId("queue-name").FillAsync($"review {marker}");
        await page.GetByLabel("Filter field").FillAsync("metadata.marker");
        await page.GetByLabel("Filter value").FillAsync(marker);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add filter" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("active-filter")).ToContainTextAsync($"metadata.marker is {marker}");
        await page.GetByTestId("create-queue-submit").ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/queues/[0-9a-f-]{36}$"));

        await page.GetByTestId("score-metric").SelectOptionAsync(metric);
        await Assertions.Expect(page.GetByTestId("progress-text")).ToHaveTextAsync("0 of 2 scored");
        var item = page.GetByTestId("queue-item");
        // Queue order is arrival order: the first event first, its chat rendered by role.
        await Assertions.Expect(item).ToHaveAttributeAsync("data-event-id", first);
        await Assertions.Expect(item.Locator(".message.user")).ToContainTextAsync("What is 2+2?");
        await Assertions.Expect(item.Locator(".message.assistant")).ToContainTextAsync("4");
        await WebUi.ScreenshotAsync(page, "queues-scoring");

        await page.Keyboard.PressAsync("4");
        await Assertions.Expect(page.GetByRole(AriaRole.Radio, new() { Name = "4" })).ToHaveAttributeAsync("aria-checked", "true");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("progress-text")).ToHaveTextAsync("1 of 2 scored");
        await Assertions.Expect(item).ToHaveAttributeAsync("data-event-id", second);

        // n skips; nothing is scored, and the skipped event can be reviewed again.
        await page.Keyboard.PressAsync("n");
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("except the 1 you skipped");
        await Assertions.Expect(page.GetByTestId("progress-text")).ToHaveTextAsync("1 of 2 scored");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review the skipped events" }).ClickAsync();
        await Assertions.Expect(item).ToHaveAttributeAsync("data-event-id", second);
        await page.Keyboard.PressAsync("2");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("progress-text")).ToHaveTextAsync("2 of 2 scored");
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("Nothing left to score");
        await WebUi.ScreenshotAsync(page, "queues-done");

        // The scores are on the events.
        using var api = web.Client(web.DataPlaneApi, web.ApiKey);
        var scored = await Eventually.ValueAsync(
            () => api.GetFromJsonAsync<JsonElement>(new Uri($"/v1/events/{first}", UriKind.Relative)),
            e => Metrics(e).TryGetProperty(metric, out _), $"{metric} on event {first}");
        Assert.Equal(4, Metrics(scored).GetProperty(metric).GetDouble());
    }

    [Fact]
    public async Task A_project_without_queues_says_what_a_queue_is_and_offers_to_create_one()
    {
        var project = await EvaluationData.EmptyProjectAsync(web);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{project}/queues");
        await Assertions.Expect(page.Locator("select[aria-label=Project]")).ToContainTextAsync("/ empty ");

        var empty = page.GetByTestId("empty-state");
        await Assertions.Expect(empty.GetByRole(AriaRole.Heading)).ToHaveTextAsync("No annotation queues yet");
        await Assertions.Expect(empty).ToContainTextAsync("POST /v1/queues");
        await WebUi.ScreenshotAsync(page, "queues-empty");
        await empty.GetByRole(AriaRole.Button, new() { Name = "Create the first queue" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("create-queue")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_queue_that_does_not_exist_says_so()
    {
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/queues/{Guid.NewGuid()}");

        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not" });
        await Assertions.Expect(alert).ToContainTextAsync("Could not open this queue.");
        await Assertions.Expect(alert).ToContainTextAsync("not found");
        await WebUi.ScreenshotAsync(page, "queues-not-found");
    }

    private static JsonElement Metrics(JsonElement eventJson) =>
        (eventJson.TryGetProperty("event", out var wrapped) ? wrapped : eventJson).GetProperty("metrics");
}
