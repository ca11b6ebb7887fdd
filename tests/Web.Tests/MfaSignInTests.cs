using Microsoft.Playwright;
using OtpNet;

namespace HoneyHive.Web.Tests;

/// <summary>Two-factor authentication in Chromium: turned on in the settings (QR code, first code, recovery codes once), then asked for at sign-in.</summary>
public sealed class MfaSignInTests(WebUi web) : IClassFixture<WebUi>
{
    [Fact]
    public async Task A_user_turns_on_two_factor_in_the_settings_and_the_next_sign_in_asks_for_the_code()
    {
        var (email, password) = await web.CreateUserAsync("member", "org", web.OrgId);
        var page = await web.NewPageAsync();
        await WebUi.SignInAsync(page, email, password);
        await page.WaitForURLAsync("**/p/**");

        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=security");
        await Assertions.Expect(page.GetByTestId("mfa-state")).ToContainTextAsync("Off");
        await page.GetByTestId("mfa-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("mfa-qr")).ToBeVisibleAsync();
        Assert.StartsWith("data:image/png;base64,", await page.GetByTestId("mfa-qr").GetAttributeAsync("src"), StringComparison.Ordinal);
        var secret = await page.GetByTestId("mfa-secret").InnerTextAsync();
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        await page.GetByTestId("mfa-code").FillAsync(totp.ComputeTotp(DateTime.UtcNow));
        await page.GetByTestId("mfa-confirm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("recovery-code")).ToHaveCountAsync(10);
        await Assertions.Expect(page.GetByTestId("mfa-state")).ToContainTextAsync("10 recovery codes left");
        await WebUi.ScreenshotAsync(page, "mfa-enabled");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await WebUi.SignInAsync(page, email, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Two-factor authentication" })).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "mfa-sign-in");
        // The step after the one enrolment used (accepted within the ±1 step tolerance), so the test need not wait 30 s.
        await page.GetByTestId("mfa-code").FillAsync(totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await page.WaitForURLAsync($"**/p/**/sessions");
    }
}
