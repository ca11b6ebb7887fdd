using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>Sign-in, sign-out and the expired-session page, through the sign-in form in Chromium.</summary>
public sealed class SignInTests(WebUi web) : IClassFixture<WebUi>
{
    [Fact]
    public async Task The_admin_signs_in_with_email_and_password_and_lands_on_the_projects_session_list()
    {
        var page = await web.SignedInPageAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Project")).ToContainTextAsync("Default Org / Default Workspace / default");
        await WebUi.ScreenshotAsync(page, "sign-in-landed");
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_message_and_no_session()
    {
        var page = await web.NewPageAsync();
        await WebUi.SignInAsync(page, web.AdminEmail, "not the password at all");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Wrong" })).ToHaveTextAsync("Wrong email or password.");
        await WebUi.ScreenshotAsync(page, "sign-in-wrong-password");
        await page.GotoAsync($"/p/{web.ProjectId}/sessions");
        await page.WaitForURLAsync("**/login?next=*");
    }

    [Fact]
    public async Task Signing_out_ends_the_session_so_a_reload_asks_to_sign_in_again()
    {
        var page = await web.SignedInPageAsync();
        await page.ReloadAsync();
        // The refresh cookie keeps a reload signed in.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/sessions");
        await page.WaitForURLAsync("**/login?next=*");
    }

    [Fact]
    public async Task A_session_revoked_elsewhere_shows_the_expired_page_when_its_token_needs_renewing()
    {
        var page = await web.NewPageAsync();
        // The page's timers run on a clock the test moves, so the token's renewal comes without waiting 9 minutes.
        await page.Clock.InstallAsync();
        await WebUi.SignInAsync(page, web.AdminEmail, web.AdminPassword);
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");

        var token = await web.AdminTokenAsync();
        using (var client = web.Client(web.ControlPlaneApi, token))
        using (var response = await client.PostAsync(new Uri("/v1/auth/logout-all", UriKind.Relative), null)) response.EnsureSuccessStatusCode();
        await page.Clock.RunForAsync("10:00");

        await page.WaitForURLAsync("**/expired?next=*");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your session has expired" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in again" }))
            .ToHaveAttributeAsync("href", $"/login?next={Uri.EscapeDataString($"/p/{web.ProjectId}/sessions")}");
        await WebUi.ScreenshotAsync(page, "session-expired");
    }
}
