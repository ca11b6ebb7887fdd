using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HoneyHive.Web.Tests;

/// <summary>
/// The platform with a real SAML IdP (npm samlify, tests/samlidp). Its SAML connections' ACS URL is the web UI's proxy to
/// the CP (Auth:Sso:PublicApiUrl defaults to {ControlPlane:PublicUrl}/api/cp), as an admin registers it; the IdP only
/// redirects and posts through the browser, so no outbound allowance is needed.
/// </summary>
public sealed class SamlWebUi : WebUi
{
    public SamlTestIdp Idp { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Idp = await SamlTestIdp.StartAsync("https://idp.web-test.example/saml");
        ExtraEnvironment["Auth__Sso__RequireHttps"] = "false";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Idp is not null) await Idp.DisposeAsync();
    }

    /// <summary>A saml connection for <paramref name="domain"/>, its SP metadata imported into the IdP; its id.</summary>
    public async Task<string> CreateConnectionAsync(string domain, bool allowIdpInitiated)
    {
        var created = await this.CpAsync(HttpMethod.Post, $"/v1/orgs/{OrgId}/sso_connections", new
        {
            protocol = "saml",
            name = "Test SAML IdP",
            email_domains = new[] { domain },
            default_role = "member",
            config = new { idp_entity_id = Idp.EntityId, idp_sso_url = Idp.SsoUrl, idp_certificate = Idp.CertificatePem, allow_idp_initiated = allowIdpInitiated },
        });
        var id = created.GetProperty("data").GetProperty("id").GetString()!;
        // The metadata as the admin downloads it, through the web UI's proxy (the entity id and ACS URL it names).
        using var http = new HttpClient();
        await Idp.TrustAsync(await http.GetStringAsync(MetadataUrl(id)));
        return id;
    }

    public string MetadataUrl(string connectionId) => $"{Url.ToString().TrimEnd('/')}/api/cp/v1/auth/sso/saml/{connectionId}/metadata";
}

/// <summary>SAML single sign-on in Chromium: SP-initiated from the sign-in page, and IdP-initiated from the IdP.</summary>
public sealed class SamlSignInTests(SamlWebUi web) : IClassFixture<SamlWebUi>
{
    private static string NewDomain() => $"saml{Guid.NewGuid():N}"[..14] + ".test";

    [Fact]
    public async Task A_user_of_a_saml_domain_signs_in_from_the_sign_in_page_through_the_idp_and_lands_signed_in_provisioned()
    {
        var domain = NewDomain();
        var email = $"ada@{domain}";
        await web.CreateConnectionAsync(domain, allowIdpInitiated: false);

        var page = await web.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use single sign-on (SSO)" }).ClickAsync();
        await page.GetByLabel("Work email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // The IdP's own page, reached through the CP's start route carrying our AuthnRequest.
        await page.WaitForURLAsync(new Regex("^" + Regex.Escape(web.Idp.SsoUrl) + @"\?SAMLRequest="));
        await WebUi.ScreenshotAsync(page, "saml-identity-provider");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // The IdP's page posts the signed Response to the ACS (HTTP-POST binding); the browser lands signed in.
        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();
        await WebUi.ScreenshotAsync(page, "saml-signed-in");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();

        var member = await web.MemberAsync(email);
        Assert.Equal("member", member.GetProperty("role").GetString());
    }

    [Fact]
    public async Task An_idp_initiated_sign_in_lands_signed_in_where_the_connection_allows_it()
    {
        var domain = NewDomain();
        var email = $"grace@{domain}";
        var connection = await web.CreateConnectionAsync(domain, allowIdpInitiated: true);

        var page = await web.NewPageAsync();
        // The IdP's app launcher: a Response answering no request, posted by the IdP's page.
        await page.GotoAsync($"{web.Idp.BaseUrl}initiate?sp={Uri.EscapeDataString(web.MetadataUrl(connection))}&email={Uri.EscapeDataString(email)}");

        await page.WaitForURLAsync($"**/p/{web.ProjectId}/sessions");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();
        Assert.Equal("member", (await web.MemberAsync(email)).GetProperty("role").GetString());
    }
}
