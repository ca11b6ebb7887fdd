using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The platform with a real OpenID provider (npm oidc-provider) whose client's redirect URI is the web UI's proxy to
/// the CP, as an admin registers it. The Host may call a provider on 127.0.0.1 over http (the operator's SSRF
/// allowlist and Auth:Sso:RequireHttps=false, as a local provider needs).
/// </summary>
public sealed class SsoWebUi : WebUi
{
    public OidcTestClient OidcClient { get; } = new("honeyhive-web", "web-client-secret-" + Guid.NewGuid().ToString("N"), []);

    public OidcTestProvider Idp { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Idp = await OidcTestProvider.StartAsync(OidcClient with { RedirectUris = [$"{Url.ToString().TrimEnd('/')}/api/cp/v1/auth/sso/oidc/callback"] });
        ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        ExtraEnvironment["Auth__Sso__RequireHttps"] = "false";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Idp is not null) await Idp.DisposeAsync();
    }
}

/// <summary>Single sign-on in Chromium: email first on the sign-in page, the provider's page, back signed in.</summary>
public sealed class SsoSignInTests(SsoWebUi web) : IClassFixture<SsoWebUi>
{
    [Fact]
    public async Task A_user_of_an_sso_domain_signs_in_through_the_identity_provider_and_lands_signed_in_provisioned_with_the_default_role()
    {
        var domain = $"sso{Guid.NewGuid():N}"[..14] + ".test";
        var email = $"alice@{domain}";
        await web.CpAsync(HttpMethod.Post, $"/v1/orgs/{web.OrgId}/sso_connections", new
        {
            protocol = "oidc",
            name = "Test IdP",
            email_domains = new[] { domain },
            default_role = "member",
            config = new { issuer = web.Idp.IssuerText, client_id = web.OidcClient.ClientId },
            client_secret = web.OidcClient.ClientSecret,
        });

        var page = await web.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use single sign-on (SSO)" }).ClickAsync();
        await page.GetByLabel("Work email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // The provider's own sign-in page, reached through the CP's start route and the provider's authorization endpoint.
        await page.WaitForURLAsync(new Regex("^" + Regex.Escape(web.Idp.IssuerText) + "/interaction/"));
        await WebUi.ScreenshotAsync(page, "sso-identity-provider");
        await page.GetByLabel("IdP email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // Back through the callback, signed in: the landing route opens the org's project.
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "sso-signed-in");
        // The refresh cookie keeps the SSO session across a reload, as a password session.
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();

        var member = await web.MemberAsync(email);
        Assert.Equal("member", member.GetProperty("role").GetString());
    }

    [Fact]
    public async Task An_email_whose_domain_has_no_sso_is_told_to_use_a_password()
    {
        var page = await web.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use single sign-on (SSO)" }).ClickAsync();
        await page.GetByLabel("Work email").FillAsync($"bob@{Guid.NewGuid():N}.example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // Next's route announcer is an alert too: the notice is the one with text.
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "not set up" })).ToContainTextAsync("not set up for this email's domain");
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
    }
}
