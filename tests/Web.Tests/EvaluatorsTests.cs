using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>Evaluators: writing a Python evaluator (its syntax error shown on its line), saving it, trying it on an event; empty and error states.</summary>
[Collection(EvaluationUi.Name)]
public sealed class EvaluatorsTests(WebUi web)
{
    private const string BrokenCode = "def answer_length(event):\n    return len(event[\"outputs\"].get(\"content\", \"\")\n";
    private const string FixedCode = "def answer_length(event):\n    return len(event[\"outputs\"].get(\"content\", \"\"))\n";

    [Fact]
    public async Task A_python_evaluator_with_a_syntax_error_is_refused_on_its_line_then_fixed_saved_and_tried_on_an_event()
    {
        var marker = EvaluationData.Marker();
        var eventId = await EvaluationData.SendModelEventAsync(web, marker, "What is the capital of France?", "Paris.");
        var name = $"answer_length_{marker}";
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/evaluators");
        await page.GetByTestId("new-python").ClickAsync();
        await page.GetByTestId("evaluator-name").FillAsync(name);
        await page.GetByTestId("evaluator-return-type").SelectOptionAsync("float");
        await ReplaceCodeAsync(page, BrokenCode);
        await page.GetByTestId("save-evaluator").ClickAsync();

        var error = page.GetByTestId("code-error");
        await Assertions.Expect(error).ToContainTextAsync("Syntax error");
        await Assertions.Expect(error.GetByTestId("code-error-line")).ToHaveTextAsync("line 2");
        await Assertions.Expect(error).ToContainTextAsync("'(' was never closed");
        // The editor marks the line the error names.
        await Assertions.Expect(page.GetByTestId("error-line")).ToHaveTextAsync("    return len(event[\"outputs\"].get(\"content\", \"\")");
        Assert.Contains("new=PYTHON", page.Url, StringComparison.Ordinal);
        await WebUi.ScreenshotAsync(page, "evaluators-syntax-error");
        Assert.DoesNotContain(await MetricNamesAsync(), n => n == name);

        await ReplaceCodeAsync(page, FixedCode);
        await Assertions.Expect(error).ToBeHiddenAsync();
        await page.GetByTestId("save-evaluator").ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/evaluators\?id=[0-9a-f-]{36}$"));
        await Assertions.Expect(page.GetByTestId("evaluator-notice")).ToHaveTextAsync("Evaluator created.");
        await Assertions.Expect(page.GetByTestId("evaluator-list").GetByText(name)).ToBeVisibleAsync();
        Assert.Contains(await MetricNamesAsync(), n => n == name);

        await page.GetByTestId("try-event-id").FillAsync(eventId);
        await page.GetByTestId("try-run").ClickAsync();
        // len("Paris.") as a float.
        await Assertions.Expect(page.GetByTestId("try-value")).ToHaveTextAsync("6");
        await page.GetByTestId("try-result").ScrollIntoViewIfNeededAsync();
        await WebUi.ScreenshotAsync(page, "evaluators-try-on-event");
    }

    [Fact]
    public async Task Trying_an_evaluator_that_raises_shows_the_traceback_and_marks_its_line_and_an_unknown_event_is_named()
    {
        var marker = EvaluationData.Marker();
        var eventId = await EvaluationData.SendModelEventAsync(web, marker, "Why?", "Because.");
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{web.ProjectId}/evaluators?new=PYTHON");
        await page.GetByTestId("evaluator-name").FillAsync($"raises_{marker}");
        await ReplaceCodeAsync(page, "def raises(event):\n    score = 1\n    return score / 0\n");
        await page.GetByTestId("try-event-id").FillAsync(eventId);
        await page.GetByTestId("try-run").ClickAsync();

        var failure = page.GetByTestId("try-error");
        await Assertions.Expect(failure).ToContainTextAsync("execution error");
        await Assertions.Expect(failure).ToContainTextAsync("ZeroDivisionError: division by zero");
        await Assertions.Expect(failure).ToContainTextAsync("line 3");
        await Assertions.Expect(page.GetByTestId("error-line")).ToHaveTextAsync("    return score / 0");
        await WebUi.ScreenshotAsync(page, "evaluators-runtime-error");

        await page.GetByTestId("try-event-id").FillAsync(Guid.NewGuid().ToString());
        await page.GetByTestId("try-run").ClickAsync();
        await Assertions.Expect(failure).ToContainTextAsync("Event not found in this project.");
        await Assertions.Expect(failure).ToContainTextAsync("No event with this id");
    }

    [Fact]
    public async Task A_project_without_evaluators_offers_each_kind_to_create()
    {
        var project = await EvaluationData.EmptyProjectAsync(web);
        var page = await web.SignedInPageAsync();

        await page.GotoAsync($"/p/{project}/evaluators");
        await Assertions.Expect(page.Locator("select[aria-label=Project]")).ToContainTextAsync("/ empty ");

        var empty = page.GetByTestId("empty-state");
        await Assertions.Expect(empty.GetByRole(AriaRole.Heading)).ToHaveTextAsync("No evaluators yet");
        await Assertions.Expect(empty).ToContainTextAsync("POST /v1/metrics");
        await WebUi.ScreenshotAsync(page, "evaluators-empty");
        await empty.GetByRole(AriaRole.Button, new() { Name = "+ LLM judge" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("judge-model")).ToHaveValueAsync("gpt-4o-mini");
        await Assertions.Expect(page.GetByTestId("criteria-editor")).ToContainTextAsync("{{outputs.content}}");
    }

    /// <summary>Replaces the code editor's text: inserted as typed-in text, without the editor's auto-indent or bracket closing.</summary>
    private static async Task ReplaceCodeAsync(IPage page, string code)
    {
        await page.GetByTestId("criteria-editor").Locator(".cm-content").ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync(code);
    }

    private async Task<List<string>> MetricNamesAsync()
    {
        using var api = web.Client(web.DataPlaneApi, web.ApiKey);
        var answer = await api.GetFromJsonAsync<JsonElement>(new Uri("/v1/metrics", UriKind.Relative));
        return [.. answer.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("name").GetString()!)];
    }
}
