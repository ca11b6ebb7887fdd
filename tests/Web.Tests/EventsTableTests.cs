using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The events table over traces sent through OTLP: the filter builder, a row opening its trace, the column
/// picker, export to CSV and JSONL, adding a selected event to a new dataset, and the empty and error states.
/// </summary>
public sealed class EventsTableTests(WebUi web) : IClassFixture<WebUi>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task The_filter_builder_narrows_the_table_to_the_matching_events_and_a_row_opens_its_trace_at_that_span()
    {
        var tag = EventsData.Tag();
        var wanted = new AgentTrace("events-filter", Model: $"model-a-{tag}");
        var other = new AgentTrace("events-filter", Model: $"model-b-{tag}");
        await web.SendOtlpAsync(wanted.ToOtlpJson());
        await web.SendOtlpAsync(other.ToOtlpJson());
        await EventsData.WaitForSessionAsync(web, wanted.SessionId, 4);
        await EventsData.WaitForSessionAsync(web, other.SessionId, 4);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/events?range=1h");
        var rows = page.GetByTestId("table-row");
        await Expect(rows.Filter(new() { HasText = other.Model })).ToHaveCountAsync(1);
        await page.GetByLabel("Filter field").FillAsync("config.model");
        await page.GetByLabel("Filter operator").SelectOptionAsync("is");
        await page.GetByLabel("Filter value").FillAsync(wanted.Model);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add filter" }).ClickAsync();

        await Expect(page.GetByTestId("active-filter")).ToContainTextAsync($"config.model is {wanted.Model}");
        await Expect(page.GetByTestId("events-total")).ToHaveTextAsync("1 event");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync($"chat {wanted.Model}");
        await Expect(page.GetByRole(AriaRole.Grid, new() { Name = "Events" })).Not.ToContainTextAsync(other.Model);
        // The filter is in the address, so the filtered table is a link.
        Assert.Contains(Uri.EscapeDataString(wanted.Model), page.Url, StringComparison.Ordinal);
        await WebUi.ScreenshotAsync(page, "events-filtered");

        await rows.First.ClickAsync();
        await page.WaitForURLAsync(new Regex($"/p/{web.ProjectId}/sessions/{wanted.SessionId}\\?span=[0-9a-f-]{{36}}$"));
    }

    [Fact]
    public async Task Export_downloads_the_filtered_events_as_CSV_of_the_chosen_columns_properly_quoted_and_as_JSONL()
    {
        const string question = "Is \"Paris\", or Lyon, France's capital?\nAnswer briefly.";
        var trace = new AgentTrace("events-export", Question: question);
        await web.SendOtlpAsync(trace.ToOtlpJson());
        await EventsData.WaitForSessionAsync(web, trace.SessionId, 4);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/events?range=1h&filters={EventsData.Query(EventsData.Is("session_id", trace.SessionId))}");
        await Expect(page.GetByTestId("events-total")).ToHaveTextAsync("4 events");
        // One more column from the schema, chosen with the picker (and remembered for the next visit).
        await page.GetByTestId("column-picker").ClickAsync();
        await page.GetByLabel("Find a field").FillAsync("inputs.question");
        await page.GetByTestId("column-picker-panel").GetByRole(AriaRole.Checkbox, new() { Name = "inputs.question" }).CheckAsync();
        await page.GetByTestId("column-picker-panel").GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "inputs.question" })).ToBeVisibleAsync();

        var csvDownload = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
        Assert.EndsWith(".csv", csvDownload.SuggestedFilename, StringComparison.Ordinal);
        var csv = await File.ReadAllTextAsync(await csvDownload.PathAsync());
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("event_type,event_name,start_time,duration,config.model,metadata.total_tokens,metadata.cost,error,inputs.question", lines[0]);
        Assert.Equal(5, lines.Length); // the header and the session, chain, model and tool events
        // RFC 4180: the cell with quotes, commas and a line break is quoted, its quotes doubled.
        Assert.Contains(lines, l => l.StartsWith("chain,agent.run,", StringComparison.Ordinal)
            && l.EndsWith(",\"Is \"\"Paris\"\", or Lyon, France's capital?\nAnswer briefly.\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("model,chat gpt-4o,", StringComparison.Ordinal) && l.Contains(",gpt-4o,132,", StringComparison.Ordinal));
        await Expect(page.GetByTestId("export-done")).ToContainTextAsync("Saved 4 events to events-");

        var jsonlDownload = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-jsonl").ClickAsync());
        Assert.EndsWith(".jsonl", jsonlDownload.SuggestedFilename, StringComparison.Ordinal);
        var records = (await File.ReadAllLinesAsync(await jsonlDownload.PathAsync())).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal(trace.SessionId, r.GetProperty("session_id").GetString()));
        // JSONL carries whole events, not only the table's columns.
        var chain = Assert.Single(records, r => r.GetProperty("event_type").GetString() == "chain");
        Assert.Equal(question, chain.GetProperty("inputs").GetProperty("question").GetString());
        var model = Assert.Single(records, r => r.GetProperty("event_type").GetString() == "model");
        Assert.Equal("gpt-4o", model.GetProperty("config").GetProperty("model").GetString());
        await WebUi.ScreenshotAsync(page, "events-exported");
    }

    [Fact]
    public async Task A_selected_event_is_added_to_a_new_dataset_with_a_field_mapping_and_shows_in_the_datasets_detail()
    {
        var tag = EventsData.Tag();
        var trace = new AgentTrace("events-to-dataset", Question: $"Which river runs through Paris? ({tag})", Answer: "The Seine.");
        await web.SendOtlpAsync(trace.ToOtlpJson());
        await EventsData.WaitForSessionAsync(web, trace.SessionId, 4);
        var page = await web.SignedInPageAsync();

        var filters = EventsData.Query(EventsData.Is("session_id", trace.SessionId), EventsData.Is("event_type", "model"));
        await page.GotoAsync($"/p/{web.ProjectId}/events?range=1h&filters={filters}");
        await Expect(page.GetByTestId("table-row")).ToHaveCountAsync(1);
        await page.GetByTestId("row-select").First.CheckAsync();
        await page.GetByTestId("add-to-dataset").ClickAsync();

        var dialog = page.GetByTestId("add-to-dataset-dialog");
        await dialog.GetByTestId("new-dataset-mode").CheckAsync();
        var name = $"golden-{tag}";
        await dialog.GetByTestId("new-dataset-name").FillAsync(name);
        // The model's answer becomes the expected output; its model goes to metadata.
        await dialog.GetByRole(AriaRole.Button, new() { Name = "outputs → ground truth" }).ClickAsync();
        await Expect(dialog.GetByTestId("mapping-preview")).ToContainTextAsync("The Seine.");
        await WebUi.ScreenshotAsync(page, "events-add-to-dataset");
        await dialog.GetByTestId("add-to-dataset-submit").ClickAsync();

        await Expect(dialog.GetByTestId("add-to-dataset-done")).ToHaveTextAsync($"Added 1 datapoint to {name}.");
        await dialog.GetByTestId("open-dataset").ClickAsync();
        await Expect(page.GetByTestId("dataset-title")).ToHaveTextAsync(name);
        await Expect(page.GetByTestId("datapoint-count")).ToHaveTextAsync("1 datapoint");
        await Expect(page.GetByTestId("datapoint-inputs")).ToContainTextAsync(trace.Question);
        await Expect(page.GetByTestId("datapoint-ground-truth")).ToContainTextAsync("The Seine.");
        await WebUi.ScreenshotAsync(page, "events-added-dataset-detail");
    }

    [Fact]
    public async Task A_project_without_events_and_a_filter_matching_none_each_say_what_to_do_next()
    {
        var page = await web.SignedInPageAsync();
        var projectId = await EventsData.NewProjectAsync(web, "empty-events-" + EventsData.Tag());

        await page.GotoAsync($"/p/{projectId}/events");
        var empty = page.GetByTestId("empty-state");
        await Expect(empty).ToContainTextAsync("No events in this time range");
        await Expect(empty).ToContainTextAsync(web.OtlpHttp.ToString().TrimEnd('/') + "/v1/traces");
        await Expect(page.GetByTestId("export-csv")).ToBeDisabledAsync();
        await WebUi.ScreenshotAsync(page, "events-empty");

        await page.GotoAsync($"/p/{web.ProjectId}/events?range=all&filters={EventsData.Query(EventsData.Is("session_id", Guid.NewGuid().ToString()))}");
        await Expect(empty).ToContainTextAsync("No events match these filters");
        await empty.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();
        await Expect(page.GetByTestId("active-filter")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_filter_the_server_rejects_shows_its_message_and_the_data_plane_unreachable_says_to_start_the_platform()
    {
        var page = await web.SignedInPageAsync();

        var bogus = new Dictionary<string, object> { ["field"] = "no_such_field", ["operator"] = "is", ["value"] = "x", ["type"] = "string" };
        await page.GotoAsync($"/p/{web.ProjectId}/events?filters={EventsData.Query(bogus)}");
        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not search the events." });
        await Expect(alert).ToContainTextAsync("Unknown field");
        await WebUi.ScreenshotAsync(page, "events-error-400");
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();
        await Expect(alert).ToHaveCountAsync(0);

        await page.RouteAsync("**/api/dp/v1/events/search", route => route.FulfillAsync(new()
        {
            Status = 502, ContentType = "application/problem+json", Body = EventsData.DataPlaneUnreachable,
        }));
        await page.ReloadAsync();
        // A 5xx is retried twice (app/providers.tsx) before the page gives up and says so.
        await Expect(alert).ToContainTextAsync("Data plane unreachable", new() { Timeout = 20_000 });
        await Expect(alert).ToContainTextAsync("Start the platform with ./hh up");
        await WebUi.ScreenshotAsync(page, "events-error-unreachable");
    }
}
