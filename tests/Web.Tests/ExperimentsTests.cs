using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>Experiments: the runs list, a run's results, the comparison of two runs, and their empty and error states.</summary>
[Collection(EvaluationUi.Name)]
public sealed class ExperimentsTests(WebUi web)
{
    [Fact]
    public async Task Opening_a_run_shows_each_metrics_aggregate_its_pass_fail_counts_and_a_row_per_datapoint_that_opens_its_trace()
    {
        var marker = EvaluationData.Marker();
        var (runId, sessions) = await EvaluationData.CreateRunAsync(web, $"run-{marker}", marker,
        [
            new() { ["accuracy"] = 0.9, ["polite"] = true },
            new() { ["accuracy"] = 0.4, ["polite"] = true },
            new() { ["accuracy"] = 0.8, ["polite"] = false },
        ], new { accuracy = new { min = 0.5 } });
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/experiments");
        await page.GetByRole(AriaRole.Link, new() { Name = $"run-{marker}" }).ClickAsync();
        await page.WaitForURLAsync($"**/experiments/{runId}");

        await Assertions.Expect(page.GetByTestId("run-title")).ToHaveTextAsync($"run-{marker}");
        var accuracy = page.Locator("[data-testid=metric-card][data-metric=accuracy]");
        await Assertions.Expect(accuracy.GetByTestId("metric-aggregate")).ToHaveTextAsync("0.7");
        await Assertions.Expect(accuracy.GetByTestId("metric-passed")).ToHaveTextAsync("2 passed");
        await Assertions.Expect(accuracy.GetByTestId("metric-failed")).ToHaveTextAsync("1 failed");
        var polite = page.Locator("[data-testid=metric-card][data-metric=polite]");
        await Assertions.Expect(polite.GetByTestId("metric-aggregate")).ToHaveTextAsync("0.667");
        // A datapoint fails when any of its values fails: 0.4 accuracy, and the impolite one.
        await Assertions.Expect(page.GetByTestId("passed-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("failed-count")).ToHaveTextAsync("2");

        var rows = page.GetByRole(AriaRole.Grid, new() { Name = "Datapoint results" }).GetByTestId("table-row");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        var second = rows.Filter(new() { HasText = $"dp-{marker}-1" });
        await Assertions.Expect(second).ToContainTextAsync("question 1?");
        await Assertions.Expect(second).ToContainTextAsync($"answer 1 of run-{marker}");
        await Assertions.Expect(second).ToContainTextAsync("✗ fail");
        await Assertions.Expect(second.Locator("[data-testid=metric-cell][data-metric=accuracy]")).ToHaveTextAsync("0.4");
        await WebUi.ScreenshotAsync(page, "experiments-run");

        // Only failed ones, then open the failed datapoint's trace.
        await page.GetByRole(AriaRole.Button, new() { Name = "Failed (2)" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await rows.Filter(new() { HasText = $"dp-{marker}-1" }).ClickAsync();
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions/{sessions[1]}");
    }

    [Fact]
    public async Task Comparing_two_runs_picked_in_the_list_shows_what_improved_in_green_and_what_regressed_in_red()
    {
        var marker = EvaluationData.Marker();
        var (baseline, _) = await EvaluationData.CreateRunAsync(web, $"baseline-{marker}", marker,
        [
            new() { ["accuracy"] = 0.5, ["speed"] = 0.9 },
            new() { ["accuracy"] = 0.6, ["speed"] = 0.8 },
        ]);
        var (candidate, _) = await EvaluationData.CreateRunAsync(web, $"candidate-{marker}", marker,
        [
            new() { ["accuracy"] = 0.9, ["speed"] = 0.5 },
            new() { ["accuracy"] = 0.6, ["speed"] = 0.4 },
        ]);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/experiments");
        await page.GetByLabel("Search runs by name").FillAsync(marker);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("run-name")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("compare-button")).ToBeDisabledAsync();
        await page.GetByLabel($"Select baseline-{marker} for comparison").CheckAsync();
        await page.GetByLabel($"Select candidate-{marker} for comparison").CheckAsync();
        await page.GetByTestId("compare-button").ClickAsync();

        // The newer run is compared against the older one.
        await page.WaitForURLAsync(new Regex($"/experiments/compare\\?a={candidate}&b={baseline}$"));
        var accuracy = page.Locator("[data-testid=metric-compare-row][data-metric=accuracy]");
        await Assertions.Expect(accuracy).ToHaveAttributeAsync("data-verdict", "improved");
        await Assertions.Expect(accuracy).ToContainTextAsync("0.55");
        await Assertions.Expect(accuracy).ToContainTextAsync("0.75");
        await Assertions.Expect(accuracy.GetByTestId("change")).ToContainTextAsync("▲ improved +0.2");
        var speed = page.Locator("[data-testid=metric-compare-row][data-metric=speed]");
        await Assertions.Expect(speed).ToHaveAttributeAsync("data-verdict", "regressed");
        await Assertions.Expect(speed.GetByTestId("change")).ToContainTextAsync("▼ regressed -0.4");
        await Assertions.Expect(page.GetByTestId("compare-summary")).ToContainTextAsync("1 improved");
        await Assertions.Expect(page.GetByTestId("compare-summary")).ToContainTextAsync("1 regressed");
        // Colours: improved in the theme's green, regressed in its red.
        var green = await accuracy.GetByTestId("change").EvaluateAsync<string>("e => getComputedStyle(e).color");
        var red = await speed.GetByTestId("change").EvaluateAsync<string>("e => getComputedStyle(e).color");
        Assert.Equal("rgb(76, 195, 138)", green);
        Assert.Equal("rgb(240, 97, 109)", red);

        // Per datapoint: the first improved on accuracy and regressed on speed; the second kept its accuracy.
        var pairs = page.GetByRole(AriaRole.Grid, new() { Name = "Per-datapoint changes" }).GetByTestId("table-row");
        await Assertions.Expect(pairs).ToHaveCountAsync(2);
        var first = pairs.Filter(new() { HasText = $"dp-{marker}-0" });
        await Assertions.Expect(first.GetByTestId("row-verdict")).ToHaveTextAsync("mixed");
        await Assertions.Expect(first.Locator("[data-testid=delta-cell][data-metric=accuracy]")).ToHaveAttributeAsync("data-verdict", "improved");
        await Assertions.Expect(first.Locator("[data-testid=delta-cell][data-metric=accuracy]")).ToHaveTextAsync("0.5 → 0.9");
        await Assertions.Expect(first).ToContainTextAsync($"answer 0 of baseline-{marker}");
        await Assertions.Expect(first).ToContainTextAsync($"answer 0 of candidate-{marker}");
        var second = pairs.Filter(new() { HasText = $"dp-{marker}-1" });
        await Assertions.Expect(second.Locator("[data-testid=delta-cell][data-metric=accuracy]")).ToHaveAttributeAsync("data-verdict", "unchanged");
        await Assertions.Expect(second.Locator("[data-testid=delta-cell][data-metric=speed]")).ToHaveAttributeAsync("data-verdict", "regressed");
        await WebUi.ScreenshotAsync(page, "experiments-compare");

        await page.GetByTestId("show-improved").ClickAsync();
        await Assertions.Expect(pairs).ToHaveCountAsync(1);
        // Swapping makes the candidate the baseline: what improved now regressed.
        await page.GetByTestId("swap-runs").ClickAsync();
        await page.WaitForURLAsync(new Regex($"a={baseline}&b={candidate}"));
        await Assertions.Expect(accuracy).ToHaveAttributeAsync("data-verdict", "regressed");
    }

    [Fact]
    public async Task A_project_without_runs_says_how_to_create_the_first()
    {
        var project = await EvaluationData.EmptyProjectAsync(web);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{project}/experiments");
        await Assertions.Expect(page.Locator("select[aria-label=Project]")).ToContainTextAsync("/ empty ");

        var empty = page.GetByTestId("empty-state");
        await Assertions.Expect(empty.GetByRole(AriaRole.Heading)).ToHaveTextAsync("No experiment runs yet");
        await Assertions.Expect(empty).ToContainTextAsync($"{web.DataPlaneApi.ToString().TrimEnd('/')}/v1/runs");
        await Assertions.Expect(empty).ToContainTextAsync("metadata.run_id");
        await Assertions.Expect(page.GetByTestId("compare-button")).ToBeDisabledAsync();
        await WebUi.ScreenshotAsync(page, "experiments-empty");
    }

    [Fact]
    public async Task A_run_that_does_not_exist_and_an_unreachable_data_plane_say_what_went_wrong()
    {
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/experiments/{Guid.NewGuid()}");
        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not" });
        await Assertions.Expect(alert).ToContainTextAsync("Could not open this run.");
        await Assertions.Expect(alert).ToContainTextAsync("Run not found");
        await Assertions.Expect(alert).ToContainTextAsync("It may have been deleted");
        await WebUi.ScreenshotAsync(page, "experiments-run-not-found");

        // The data plane down: the proxy's 502, as when the Host is stopped.
        await page.RouteAsync(new Regex("/api/dp/v1/runs\\?"), route => route.FulfillAsync(new()
        {
            Status = 502,
            ContentType = "application/problem+json",
            Body = """{"title":"Data plane unreachable","status":502,"detail":"The data plane at http://127.0.0.1:8080 did not answer. Is the platform running (./hh status)?"}""",
        }));
        await page.GotoAsync($"/p/{web.ProjectId}/experiments");
        await Assertions.Expect(alert).ToContainTextAsync("Could not list the experiment runs.");
        await Assertions.Expect(alert).ToContainTextAsync("Data plane unreachable");
        await Assertions.Expect(alert).ToContainTextAsync("./hh up");
        await WebUi.ScreenshotAsync(page, "experiments-error");
    }
}
