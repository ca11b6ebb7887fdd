using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>The dashboard's charts over traces sent through OTLP, grouped by model, and its empty and error states.</summary>
public sealed class DashboardTests(WebUi web) : IClassFixture<WebUi>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task The_dashboard_charts_requests_latency_tokens_cost_and_error_rate_of_sent_traces_grouped_by_model()
    {
        var tag = EventsData.Tag();
        var traces = new[]
        {
            new AgentTrace("dash", Model: $"fast-{tag}"),
            new AgentTrace("dash", Model: $"fast-{tag}"),
            new AgentTrace("dash", Model: $"slow-{tag}", ModelError: true),
        };
        foreach (var trace in traces) await web.SendOtlpAsync(trace.ToOtlpJson());
        foreach (var trace in traces) await EventsData.WaitForSessionAsync(web, trace.SessionId, 4);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/dashboard?range=1h&filters={EventsData.Query(EventsData.Contains("config.model", tag))}");
        await Expect(page.GetByTestId("stat-requests").Locator(".value")).ToHaveTextAsync("3");
        var stats = page.GetByTestId("dashboard-stats");
        await Expect(stats).ToContainTextAsync("1 (33.3%)"); // one model call of three failed
        await Expect(stats).ToContainTextAsync("396"); // 3 × (120 + 12) tokens
        foreach (var chart in new[] { "chart-requests", "chart-latency", "chart-tokens", "chart-cost", "chart-errors" })
            await Expect(page.GetByTestId(chart).Locator("svg.recharts-surface").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("chart-requests").Locator(".recharts-bar-rectangle").First).ToBeVisibleAsync();
        // What `bench ui` waits for: every chart drawn from a settled answer.
        await Expect(page.GetByTestId("dashboard-ready")).ToBeAttachedAsync();
        await Expect(page.GetByTestId("chart-latency").Locator(".recharts-legend-wrapper")).ToContainTextAsync("p95");
        await WebUi.ScreenshotAsync(page, "dashboard");

        await page.GetByTestId("group-by").SelectOptionAsync("config.model");
        await Expect(page.GetByTestId("chart-requests").Locator(".recharts-legend-wrapper")).ToContainTextAsync($"fast-{tag}");
        await Expect(page.GetByTestId("chart-requests").Locator(".recharts-legend-wrapper")).ToContainTextAsync($"slow-{tag}");
        await Expect(page.GetByTestId("chart-errors").Locator(".recharts-legend-wrapper")).ToContainTextAsync($"slow-{tag}");
        await Expect(page.GetByTestId("chart-latency").Locator(".recharts-legend-wrapper")).ToContainTextAsync($"slow-{tag}");
        await Expect(page.GetByTestId("chart-tokens").Locator(".recharts-legend-wrapper")).ToContainTextAsync($"fast-{tag}");
        Assert.Contains("groupBy=config.model", page.Url, StringComparison.Ordinal);
        await WebUi.ScreenshotAsync(page, "dashboard-grouped");
    }

    [Fact]
    public async Task A_project_without_data_shows_the_empty_state_with_where_to_send_traces()
    {
        var page = await web.SignedInPageAsync();
        var projectId = await EventsData.NewProjectAsync(web, "empty-dashboard-" + EventsData.Tag());
        await page.GotoAsync($"/p/{projectId}/dashboard");
        var empty = page.GetByTestId("empty-state");
        await Expect(empty).ToContainTextAsync("No model calls in this time range");
        await Expect(empty).ToContainTextAsync(web.OtlpHttp.ToString().TrimEnd('/') + "/v1/traces");
        await Expect(page.GetByTestId("chart-requests")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("dashboard-ready")).ToBeAttachedAsync();
        await WebUi.ScreenshotAsync(page, "dashboard-empty");
    }

    [Fact]
    public async Task A_filter_the_chart_api_rejects_shows_its_message()
    {
        var page = await web.SignedInPageAsync();
        var bogus = new Dictionary<string, object> { ["field"] = "no_such_field", ["operator"] = "is", ["value"] = "x", ["type"] = "string" };
        await page.GotoAsync($"/p/{web.ProjectId}/dashboard?filters={EventsData.Query(bogus)}");
        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Could not load the dashboard." });
        await Expect(alert).ToContainTextAsync("Unknown field");
        await WebUi.ScreenshotAsync(page, "dashboard-error");
    }
}
