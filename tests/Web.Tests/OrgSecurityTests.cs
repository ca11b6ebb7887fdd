using Microsoft.Playwright;
using Npgsql;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The org's sign-in policy in Chromium (Settings, "Organization security"): requiring single sign-on without an SSO
/// connection is refused with the server's reason; with an enabled connection listed, it is saved with the admin as
/// break-glass account and still set after a reload. A platform of its own: it turns SSO on for its org.
/// </summary>
public sealed class OrgSecurityTests(WebUi web) : IClassFixture<WebUi>
{
    [Fact]
    public async Task Requiring_sso_is_refused_until_a_connection_is_enabled_then_saved_with_the_admin_as_break_glass()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"/p/{web.ProjectId}/settings?tab=org-security");
        await Assertions.Expect(page.GetByTestId("sso-none")).ToContainTextAsync("No SSO connection yet");
        await Assertions.Expect(page.GetByTestId("require-sso")).Not.ToBeCheckedAsync();

        await page.GetByTestId("require-sso").CheckAsync();
        await page.GetByTestId($"break-glass-{web.AdminEmail}").CheckAsync();
        await page.GetByTestId("org-security-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("api-error")).ToContainTextAsync("enabled SSO connection");
        await WebUi.ScreenshotAsync(page, "org-security-needs-a-connection");

        // An admin connects the org's identity provider (the OIDC and SAML tests do it through the API and a real provider).
        await using (var cpdb = new NpgsqlConnection(web.CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO sso_connections (id, org_id, protocol, name, email_domains, default_role, config) VALUES (@id, @org, 'oidc', 'Corporate IdP', ARRAY['corp.example'], 'member', '{}')", cpdb);
            insert.Parameters.AddWithValue("id", Guid.NewGuid());
            insert.Parameters.AddWithValue("org", Guid.Parse(web.OrgId));
            await insert.ExecuteNonQueryAsync();
        }
        await page.ReloadAsync();
        var connections = page.GetByTestId("sso-connections");
        await Assertions.Expect(connections).ToContainTextAsync("Corporate IdP");
        await Assertions.Expect(connections).ToContainTextAsync("corp.example");
        await Assertions.Expect(connections).ToContainTextAsync("Enabled");

        await page.GetByTestId("require-sso").CheckAsync();
        await page.GetByTestId($"break-glass-{web.AdminEmail}").CheckAsync();
        await page.GetByTestId("org-security-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("org-security-saved")).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "org-security-sso-required");

        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("require-sso")).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByTestId($"break-glass-{web.AdminEmail}")).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByTestId("require-mfa")).Not.ToBeCheckedAsync();
    }
}
