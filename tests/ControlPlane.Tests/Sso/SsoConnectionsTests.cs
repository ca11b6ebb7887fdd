using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoneyHive.ControlPlane.Tests.Tenancy;

namespace HoneyHive.ControlPlane.Tests.Sso;

/// <summary>
/// SSO connections through the API: validation names the field at fault, an email domain routes to one enabled
/// connection only, the client secret is write-only and sealed, the issuer passes the SSRF guard; and the sign-in
/// page's email-domain routing answers the connection without the org, 404 otherwise, and is rate-limited.
/// </summary>
public sealed class SsoConnectionsTests(SsoApp cp) : IClassFixture<SsoApp>
{
    private string Collection => $"/v1/orgs/{cp.Bootstrap.OrgId}/sso_connections";

    private JsonObject Valid(string? domain = null) => new()
    {
        ["protocol"] = "oidc",
        ["name"] = "Okta",
        ["email_domains"] = new JsonArray(domain ?? SsoApp.NewDomain()),
        ["default_role"] = "viewer",
        ["config"] = new JsonObject { ["issuer"] = cp.IdpA.IssuerText, ["client_id"] = "hh-web" },
        ["client_secret"] = "a client secret long enough",
    };

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        // (what is set, its JSON, the field the 400 must name)
        { "protocol", "\"ldap\"", "protocol" },
        // An OIDC config under protocol saml: its first field is not a SAML setting.
        { "protocol", "\"saml\"", "config.issuer" },
        { "name", "\"\"", "name" },
        { "email_domains", "[\"not a domain\"]", "email_domains[0]" },
        { "email_domains", "[\"example.com\", \"@@\"]", "email_domains[1]" },
        { "email_domains", "\"example.com\"", "email_domains" },
        { "default_role", "\"no-such-role\"", "default_role" },
        { "default_role", "\"owner\"", "default_role" },
        { "enabled", "\"yes\"", "enabled" },
        { "config", "[]", "config" },
        { "config", "{\"client_id\":\"x\"}", "config.issuer" },
        { "config", "{\"issuer\":\"ftp://idp.example.com\",\"client_id\":\"x\"}", "config.issuer" },
        { "config", "{\"issuer\":\"https://10.1.2.3\",\"client_id\":\"x\"}", "config.issuer" },
        { "config", "{\"issuer\":\"https://169.254.169.254/latest\",\"client_id\":\"x\"}", "config.issuer" },
        { "config", "{\"issuer\":\"https://203.0.113.9\"}", "config.client_id" },
        { "config", "{\"issuer\":\"https://203.0.113.9\",\"client_id\":\"x\",\"scopes\":[\"email\"]}", "config.scopes" },
        { "config", "{\"issuer\":\"https://203.0.113.9\",\"client_id\":\"x\",\"scopes\":[\"openid\",\"a b\"]}", "config.scopes[1]" },
        { "config", "{\"issuer\":\"https://203.0.113.9\",\"client_id\":\"x\",\"token_endpoint_auth_method\":\"none\"}", "config.token_endpoint_auth_method" },
        { "config", "{\"issuer\":\"https://203.0.113.9\",\"client_id\":\"x\",\"client_secret\":\"in the wrong place\"}", "config.client_secret" },
        { "config", "{\"issuer\":\"https://203.0.113.9\",\"client_id\":\"x\",\"authorize_url\":\"https://evil.example\"}", "config.authorize_url" },
        { "client_secret", "\"short\"", "client_secret" },
        { "client_secret", "null", "client_secret" },
        { "org_id", "\"00000000-0000-0000-0000-000000000001\"", "org_id" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task A_connection_with_a_wrong_field_is_a_400_naming_that_field_and_nothing_is_saved(string property, string json, string field)
    {
        var body = Valid();
        body[property] = JsonNode.Parse(json);
        var before = await cp.ScalarAsync<long>("SELECT count(*) FROM sso_connections");

        using var response = await cp.Admin().SendRawAsync(HttpMethod.Post, Collection, body.ToJsonString());

        await response.ProblemAsync(400, field);
        Assert.Equal(before, await cp.ScalarAsync<long>("SELECT count(*) FROM sso_connections"));
    }

    [Fact]
    public async Task An_email_domain_routes_to_one_enabled_connection_only_across_orgs()
    {
        var domain = SsoApp.NewDomain();
        var first = await (await cp.Admin().PostAsJsonAsync(Collection, Valid(domain))).DataAsync(HttpStatusCode.Created);

        // Another org claiming the domain: 409 naming it.
        var other = Valid(domain);
        other["email_domains"] = new JsonArray(SsoApp.NewDomain(), domain.ToUpperInvariant());
        using var conflict = await cp.Admin().SendRawAsync(HttpMethod.Post, $"/v1/orgs/{cp.OrgB}/sso_connections", other.ToJsonString());
        await conflict.ProblemAsync(409, "email_domains[1]");

        // Disabled, the first frees it; enabled again while another holds it, it is refused.
        var id = first["id"]!.GetValue<string>();
        (await cp.Admin().PutAsJsonAsync($"{Collection}/{id}", new { enabled = false })).EnsureSuccessStatusCode();
        using var taken = await cp.Admin().SendRawAsync(HttpMethod.Post, $"/v1/orgs/{cp.OrgB}/sso_connections", other.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
        using var again = await cp.Admin().PutAsJsonAsync($"{Collection}/{id}", new { enabled = true });
        await again.ProblemAsync(409, "email_domains[0]");
    }

    [Fact]
    public async Task The_client_secret_is_write_only_and_stored_sealed_and_changes_are_audited_without_it()
    {
        const string Secret = "the-first-client-secret-0123456789";
        const string Rotated = "the-rotated-client-secret-0123456789";
        var body = Valid();
        body["client_secret"] = Secret;
        using var created = await cp.Admin().SendRawAsync(HttpMethod.Post, Collection, body.ToJsonString());
        var text = await created.Content.ReadAsStringAsync();
        var item = JsonNode.Parse(text)!["data"]!;
        var id = item["id"]!.GetValue<string>();
        using var rotated = await cp.Admin().PutAsJsonAsync($"{Collection}/{id}", new { client_secret = Rotated, name = "Okta 2" });
        using var listed = await cp.Admin().GetAsync(Collection);
        using var deleted = await cp.Admin().DeleteAsync($"{Collection}/{id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(item["has_client_secret"]!.GetValue<bool>());
        Assert.Equal(SsoApp.RedirectUri, item["redirect_uri"]!.GetValue<string>());
        foreach (var answer in new[] { text, await rotated.Content.ReadAsStringAsync(), await listed.Content.ReadAsStringAsync(), await deleted.Content.ReadAsStringAsync() })
        {
            Assert.DoesNotContain(Secret, answer, StringComparison.Ordinal);
            Assert.DoesNotContain(Rotated, answer, StringComparison.Ordinal);
        }
        var audit = await cp.ScalarAsync<string>("SELECT string_agg(action || ' ' || coalesce(before::text, '') || ' ' || coalesce(after::text, ''), E'\\n' ORDER BY id) FROM audit_log WHERE target_id = @id", new { id });
        Assert.Contains("sso_connection.created", audit, StringComparison.Ordinal);
        Assert.Contains("sso_connection.updated.secret_rotated", audit, StringComparison.Ordinal);
        Assert.Contains("sso_connection.deleted", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Rotated, audit, StringComparison.Ordinal);
        // Deleted, the sealed secret is gone with it.
        Assert.Null(await cp.ScalarAsync<string>("SELECT secrets_sealed FROM sso_connections WHERE id = @id", new { id = Guid.Parse(id) }));
    }

    [Fact]
    public async Task The_stored_secret_is_sealed_to_its_connection()
    {
        const string Secret = "a-secret-that-must-not-be-stored-in-clear";
        var body = Valid();
        body["client_secret"] = Secret;
        var id = Guid.Parse((await (await cp.Admin().SendRawAsync(HttpMethod.Post, Collection, body.ToJsonString())).DataAsync(HttpStatusCode.Created))["id"]!.GetValue<string>());

        var stored = await cp.ScalarAsync<string>("SELECT secrets_sealed FROM sso_connections WHERE id = @id", new { id });

        Assert.NotNull(stored);
        Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);
        Assert.StartsWith("v1.", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discover_answers_the_connection_of_an_email_domain_without_the_org_and_404_for_others()
    {
        var domain = SsoApp.NewDomain();
        var id = (await (await cp.Admin().PostAsJsonAsync(Collection, Valid(domain))).DataAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        using var anonymous = cp.Client();

        using var found = await anonymous.PostAsJsonAsync("/v1/auth/sso/discover", new { email = $"Someone@{domain.ToUpperInvariant()}" });
        using var missing = await anonymous.PostAsJsonAsync("/v1/auth/sso/discover", new { email = $"someone@{SsoApp.NewDomain()}" });
        using var wrong = await anonymous.PostAsJsonAsync("/v1/auth/sso/discover", new { email = "no-at-sign" });

        var body = await found.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(id, body!["connection_id"]!.GetValue<string>());
        Assert.Equal("oidc", body["protocol"]!.GetValue<string>());
        Assert.Equal($"http://cp.test/v1/auth/sso/oidc/{id}/start", body["start_url"]!.GetValue<string>());
        Assert.Equal(["connection_id", "protocol", "start_url"], body.Select(p => p.Key).Order());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await wrong.ProblemAsync(400, "email");
    }

    [Fact]
    public async Task Discover_is_rate_limited_per_client_address()
    {
        var address = cp.NewAddress();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await cp.Client(address).PostAsJsonAsync("/v1/auth/sso/discover", new { email = $"x@{SsoApp.NewDomain()}" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) Assert.NotNull(response.Headers.RetryAfter);
        }
        using var otherAddress = await cp.Client().PostAsJsonAsync("/v1/auth/sso/discover", new { email = $"x@{SsoApp.NewDomain()}" });

        // Auth:Sso:MaxDiscoveriesPerIp is 5 in this app: the sixth look-up from one address waits; another address does not.
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.NotFound, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.NotFound, otherAddress.StatusCode);
    }
}
