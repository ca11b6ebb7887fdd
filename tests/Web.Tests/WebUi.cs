using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The platform as `./hh up` runs it: the Host (a real process on the servers `./hh test` started), the
/// production build of web/ served by Node in front of it, and headless Chromium (Debian's, through Playwright)
/// to drive it. One per test class; each test opens its own browser context (own cookies) at 1280×800. A derived
/// fixture may add settings for its Host (ExtraEnvironment) before calling InitializeAsync, e.g. a fake LLM provider.
/// </summary>
public class WebUi : EndToEnd.Tests.HostProcess
{
    private readonly StringBuilder uiOutput = new();
    private Process? ui;
    private IPlaywright? playwright;

    /// <summary>
    /// Where the UI listens: chosen before the Host starts, so the Host's ControlPlane:PublicUrl (reset links, where SSO
    /// lands, its redirect URI) can name it.
    /// </summary>
    public Uri Url { get; private set; } = new($"http://127.0.0.1:{FreePort()}");
    public IBrowser Browser { get; private set; } = null!;
    public string AdminEmail => ReadBootstrap().GetProperty("admin_email").GetString()!;
    public string AdminPassword => ReadBootstrap().GetProperty("admin_password").GetString()!;
    public string OrgId => ReadBootstrap().GetProperty("org_id").GetString()!;

    /// <summary>Where screenshots go: web/test-results/ of the checkout.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(Checkout.Root, "web", "test-results");

    public override async Task InitializeAsync()
    {
        // As ./hh up configures it: the Python metric pool on the interpreter and RestrictedPython ./hh test found,
        // so evaluators' code compiles and runs (the evaluators page checks and tries it).
        ExtraEnvironment["PythonMetric__PythonLibrary"] = TestServers.PythonLibrary;
        ExtraEnvironment["PythonMetric__RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        ExtraEnvironment["ControlPlane__PublicUrl"] = Url.ToString().TrimEnd('/');
        await base.InitializeAsync();
        await StartUiAsync();
        playwright = await Playwright.CreateAsync();
        // What a user would wait for on a busy machine: the suite shares two cores with the Host it drives.
        Assertions.SetDefaultExpectTimeout(15_000);
        var chromium = Environment.GetEnvironmentVariable("HH_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium)) throw new InvalidOperationException($"{chromium} is missing: ./hh test installs Debian's chromium package.");
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage"] });
    }

    private async Task StartUiAsync()
    {
        var server = Environment.GetEnvironmentVariable("HH_WEB_SERVER") is { Length: > 0 } built ? built : Path.Combine(Checkout.Root, "web", ".next", "standalone", "server.js");
        if (!File.Exists(server)) throw new InvalidOperationException($"{server} is missing: ./hh test builds web/ (npm ci, next build) before the tests.");
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1) Url = new Uri($"http://127.0.0.1:{FreePort()}");
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(server);
            start.Environment["PORT"] = Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["HOSTNAME"] = "127.0.0.1";
            start.Environment["NODE_ENV"] = "production";
            start.Environment["NEXT_TELEMETRY_DISABLED"] = "1";
            start.Environment["HH_DP_URL"] = DataPlaneApi.ToString().TrimEnd('/');
            start.Environment["HH_CP_URL"] = ControlPlaneApi.ToString().TrimEnd('/');
            start.Environment["HH_OTLP_URL"] = OtlpHttp.ToString().TrimEnd('/');
            ui = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
            ui.OutputDataReceived += (_, e) => { lock (uiOutput) uiOutput.AppendLine(e.Data); };
            ui.ErrorDataReceived += (_, e) => { lock (uiOutput) uiOutput.AppendLine(e.Data); };
            ui.BeginOutputReadLine();
            ui.BeginErrorReadLine();
            try
            {
                await WaitForUiAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && UiOutput.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                // The port was taken between probing and binding: try another.
            }
        }
    }

    private async Task WaitForUiAsync()
    {
        using var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (ui!.HasExited) throw new InvalidOperationException($"The UI server exited with {ui.ExitCode}:\n{UiOutput}");
            try
            {
                using var response = await client.GetAsync(new Uri("/login", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The UI at {Url} did not answer /login within 60 s.\n{UiOutput}");
    }

    public string UiOutput { get { lock (uiOutput) return uiOutput.ToString(); } }

    /// <summary>A fresh browser context (no cookies) at 1280×800, the size the issue asks the UI to read well at.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 }, BaseURL = Url.ToString(), AcceptDownloads = true });
        context.SetDefaultTimeout(20_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in as the bootstrap admin through the sign-in form; answers on the project's session list.</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, AdminEmail, AdminPassword);
        await page.WaitForURLAsync($"**/p/{ProjectId}/sessions");
        return page;
    }

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Saves web/test-results/{name}.png (full page).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = false });
    }

    /// <summary>Sends OTLP/JSON spans to the Host's OTLP/HTTP endpoint with the project key; fails on anything but 200.</summary>
    public async Task SendOtlpAsync(string otlpJson)
    {
        using var client = Client(OtlpHttp, ApiKey);
        using var content = new StringContent(otlpJson, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"OTLP answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A control-plane token of the bootstrap admin, for test set-up through the API.</summary>
    public async Task<string> AdminTokenAsync()
    {
        using var client = Client(ControlPlaneApi);
        using var response = await client.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative), new { email = AdminEmail, password = AdminPassword });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>A new project in the bootstrap workspace, created through the control-plane API; its id.</summary>
    public async Task<string> CreateProjectAsync(string name)
    {
        using var client = Client(ControlPlaneApi, await AdminTokenAsync());
        var workspace = ReadBootstrap().GetProperty("workspace_id").GetString();
        using var response = await client.PostAsJsonAsync(new Uri($"/v1/workspaces/{workspace}/projects", UriKind.Relative), new { name });
        Assert.True(response.IsSuccessStatusCode, $"Creating project {name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (body.TryGetProperty("data", out var data) ? data : body).GetProperty("id").GetString()!;
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        playwright?.Dispose();
        if (ui is { HasExited: false })
        {
            ui.Kill(entireProcessTree: true);
            await ui.WaitForExitAsync();
        }
        ui?.Dispose();
        await base.DisposeAsync();
    }
}
