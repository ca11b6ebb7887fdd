using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// Datasets: the list (empty, create, delete), a dataset's datapoints added by hand, edited as JSON (with the
/// editor's validation) and deleted, and the error states.
/// </summary>
public sealed class DatasetsTests(WebUi web) : IClassFixture<WebUi>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task A_dataset_is_created_from_the_empty_list_shown_with_its_count_and_deleted()
    {
        // A project of its own, so the list is empty whatever the other tests left (named after "default", which
        // SignedInPageAsync expects to land on, as the first project by name).
        var page = await web.SignedInPageAsync();
        var projectId = await EventsData.NewProjectAsync(web, "empty-datasets-" + EventsData.Tag());
        await page.GotoAsync($"/p/{projectId}/datasets");
        await Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No datasets yet");
        await WebUi.ScreenshotAsync(page, "datasets-empty");

        var name = $"questions-{EventsData.Tag()}";
        await page.GetByTestId("create-dataset").ClickAsync();
        await page.GetByTestId("dataset-name-input").FillAsync(name);
        await page.GetByLabel("Description").FillAsync("Questions the support bot must answer");
        await page.GetByTestId("dataset-create-submit").ClickAsync();

        // Creating opens the new dataset, empty, saying how to fill it.
        await Expect(page.GetByTestId("dataset-title")).ToHaveTextAsync(name);
        await Expect(page.GetByTestId("empty-state")).ToContainTextAsync("This dataset has no datapoints yet");
        await page.GetByRole(AriaRole.Link, new() { Name = "← Datasets" }).ClickAsync();

        var row = page.GetByTestId("table-row").Filter(new() { HasText = name });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Questions the support bot must answer");
        await Expect(row.GetByTestId("dataset-count")).ToHaveTextAsync("0");
        await WebUi.ScreenshotAsync(page, "datasets-list");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Delete dataset {name}" }).ClickAsync();
        await page.GetByTestId("confirm-delete").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No datasets yet");
    }

    [Fact]
    public async Task A_datapoint_is_added_by_hand_edited_as_json_with_errors_shown_and_deleted()
    {
        var datasetId = await CreateDatasetAsync($"by-hand-{EventsData.Tag()}");
        try
        {
            var page = await web.SignedInPageAsync();
            await page.GotoAsync($"/p/{web.ProjectId}/datasets/{datasetId}");
            await Expect(page.GetByTestId("empty-state")).ToContainTextAsync("This dataset has no datapoints yet");

            await page.GetByTestId("add-datapoint").ClickAsync();
            var editor = page.GetByTestId("datapoint-editor");
            await SetEditorAsync(page, "edit-inputs", """{"question": "What is 2 + 2?"}""");
            await SetEditorAsync(page, "edit-ground-truth", """{"answer": "4"}""");
            await SetEditorAsync(page, "edit-metadata", """{"source": "hand-written"}""");
            await editor.GetByTestId("save-datapoint").ClickAsync();

            var row = page.GetByTestId("table-row");
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row.GetByTestId("datapoint-inputs")).ToHaveTextAsync("""{"question":"What is 2 + 2?"}""");
            await Expect(row.GetByTestId("datapoint-ground-truth")).ToHaveTextAsync("""{"answer":"4"}""");
            await Expect(page.GetByTestId("datapoint-count")).ToHaveTextAsync("1 datapoint");

            // Open it; a broken edit is named under its editor and cannot be saved.
            await row.ClickAsync();
            await SetEditorAsync(page, "edit-ground-truth", """{"answer": "five",}""");
            await Expect(editor.GetByTestId("edit-ground-truth").GetByTestId("json-error")).ToContainTextAsync("Ground truth: Not valid JSON");
            await Expect(editor.GetByTestId("save-datapoint")).ToBeDisabledAsync();
            await SetEditorAsync(page, "edit-history", """[{"role": "user"}, "hello"]""");
            await Expect(editor.GetByTestId("edit-history").GetByTestId("json-error")).ToContainTextAsync("Item 1 is not a JSON object");
            await WebUi.ScreenshotAsync(page, "datapoint-editor-errors");

            await SetEditorAsync(page, "edit-history", """[{"role": "user", "content": "hi"}]""");
            await SetEditorAsync(page, "edit-ground-truth", """{"answer": "four"}""");
            await Expect(editor.GetByTestId("json-error")).ToHaveCountAsync(0);
            await editor.GetByTestId("save-datapoint").ClickAsync();
            await Expect(editor).ToHaveCountAsync(0);
            await Expect(row.GetByTestId("datapoint-ground-truth")).ToHaveTextAsync("""{"answer":"four"}""");
            await Expect(row).ToContainTextAsync("1 msg");
            await WebUi.ScreenshotAsync(page, "dataset-detail");

            // What the page shows is what the API stored.
            using (var client = web.Client(web.DataPlaneApi, web.ApiKey))
            {
                var stored = await client.GetFromJsonAsync<JsonElement>($"/v1/datapoints?dataset_id={datasetId}");
                var point = Assert.Single(stored.GetProperty("datapoints").EnumerateArray());
                Assert.Equal("four", point.GetProperty("ground_truth").GetProperty("answer").GetString());
                Assert.Equal("hand-written", point.GetProperty("metadata").GetProperty("source").GetString());
                Assert.Equal("hi", point.GetProperty("history")[0].GetProperty("content").GetString());
            }

            await row.ClickAsync();
            await editor.GetByTestId("delete-datapoint").ClickAsync();
            await editor.GetByTestId("confirm-delete-datapoint").ClickAsync();
            await Expect(page.GetByTestId("empty-state")).ToContainTextAsync("This dataset has no datapoints yet");
            await Expect(page.GetByTestId("datapoint-count")).ToHaveTextAsync("0 datapoints");
        }
        finally
        {
            await DeleteDatasetAsync(datasetId);
        }
    }

    [Fact]
    public async Task A_span_is_added_to_an_existing_dataset_from_its_trace()
    {
        var name = $"from-trace-{EventsData.Tag()}";
        var datasetId = await CreateDatasetAsync(name);
        try
        {
            var trace = new AgentTrace("to-dataset", Question: "Which river runs through Paris?", Answer: "The Seine.");
            await web.SendOtlpAsync(trace.ToOtlpJson());
            await EventsData.WaitForSessionAsync(web, trace.SessionId, 4);
            var page = await web.SignedInPageAsync();

            await page.GotoAsync($"/p/{web.ProjectId}/sessions/{trace.SessionId}");
            await page.GetByTestId("span-row").Filter(new() { HasText = "chat gpt-4o" }).ClickAsync();
            // The panel is rebuilt for the clicked span; the dialog takes the span the panel shows when it opens.
            await Expect(page.GetByTestId("span-title")).ToHaveTextAsync("chat gpt-4o");
            await page.GetByTestId("span-panel").GetByRole(AriaRole.Button, new() { Name = "Add to dataset" }).ClickAsync();
            var dialog = page.GetByTestId("add-to-dataset-dialog");
            await dialog.GetByTestId("dataset-select").SelectOptionAsync(new SelectOptionValue { Value = datasetId });
            await Expect(dialog.GetByTestId("mapping-preview")).ToContainTextAsync("Which river runs through Paris?");
            await dialog.GetByTestId("add-to-dataset-submit").ClickAsync();
            await Expect(dialog.GetByTestId("add-to-dataset-done")).ToHaveTextAsync($"Added 1 datapoint to {name}.");
            await WebUi.ScreenshotAsync(page, "trace-added-to-dataset");

            // The datapoint keeps the span it came from.
            using var client = web.Client(web.DataPlaneApi, web.ApiKey);
            var stored = await client.GetFromJsonAsync<JsonElement>($"/v1/datapoints?dataset_id={datasetId}");
            var point = Assert.Single(stored.GetProperty("datapoints").EnumerateArray());
            var spanId = new Uri(page.Url).Query.Split("span=")[1];
            Assert.Equal(spanId, point.GetProperty("linked_event").GetString());
            Assert.Contains("Which river runs through Paris?", point.GetProperty("inputs").GetRawText(), StringComparison.Ordinal);
        }
        finally
        {
            await DeleteDatasetAsync(datasetId);
        }
    }

    [Fact]
    public async Task A_missing_dataset_and_an_unreachable_data_plane_each_say_what_went_wrong()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/datasets/{Guid.NewGuid()}");
        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not open the dataset." });
        await Expect(alert).ToContainTextAsync("Dataset not found");
        await Expect(alert).ToContainTextAsync("It may have been deleted");
        await WebUi.ScreenshotAsync(page, "dataset-not-found");

        await page.RouteAsync("**/api/dp/v1/datasets", route => route.FulfillAsync(new()
        {
            Status = 502, ContentType = "application/problem+json", Body = EventsData.DataPlaneUnreachable,
        }));
        await page.GotoAsync($"/p/{web.ProjectId}/datasets");
        var listAlert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not list the datasets." });
        // A 5xx is retried twice (app/providers.tsx) before the page gives up and says so.
        await Expect(listAlert).ToContainTextAsync("Data plane unreachable", new() { Timeout = 20_000 });
        await Expect(listAlert).ToContainTextAsync("Start the platform with ./hh up");
        await WebUi.ScreenshotAsync(page, "datasets-error");
    }

    /// <summary>Replaces a CodeMirror editor's text (inserted as one edit, so no brackets are auto-closed).</summary>
    private static async Task SetEditorAsync(IPage page, string testId, string text)
    {
        await page.GetByTestId(testId).Locator(".cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync(text);
    }

    private async Task<string> CreateDatasetAsync(string name)
    {
        using var client = web.Client(web.DataPlaneApi, web.ApiKey);
        using var response = await client.PostAsJsonAsync(new Uri("/v1/datasets", UriKind.Relative), new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("result").GetProperty("insertedId").GetString()!;
    }

    private async Task DeleteDatasetAsync(string id)
    {
        using var client = web.Client(web.DataPlaneApi, web.ApiKey);
        using var response = await client.DeleteAsync(new Uri($"/v1/datasets/{id}", UriKind.Relative));
    }
}
