using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>POST /v1/auth/login: tokens that verify against the served JWKS, one answer for every refusal, and the attempt limits.</summary>
public sealed class SignInTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    [Fact]
    public async Task The_bootstrap_admin_signs_in_and_the_token_validates_against_the_jwks_the_cp_serves()
    {
        var signedIn = await cp.LoginAsync(cp.Bootstrap.AdminEmail, cp.Bootstrap.AdminPassword);

        using var client = cp.Client();
        using var jwksResponse = await client.GetAsync("/.well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, jwksResponse.StatusCode);
        Assert.Contains("max-age=", jwksResponse.Headers.CacheControl?.ToString());
        var jwks = new JsonWebKeySet(await jwksResponse.Content.ReadAsStringAsync());
        var validator = new AccessTokenValidator(new JwksKeys(jwks), cp.Services.GetRequiredService<AccessTokenOptions>(), cp.Clock);

        var (token, error) = await validator.ValidateAsync(signedIn.AccessToken, CancellationToken.None);

        Assert.Null(error);
        Assert.NotNull(token);
        Assert.Equal(cp.Bootstrap.AdminEmail, token.Email);
        Assert.NotNull(token.SessionId);
        var grant = Assert.Single(token.Grants);
        Assert.Equal((GrantScopes.Org, cp.Bootstrap.OrgId), (grant.Scope, grant.Id));
        Assert.Equal(Permissions.All.Order(StringComparer.Ordinal), grant.Permissions.Order(StringComparer.Ordinal));
        Assert.Equal(600, signedIn.ExpiresIn);
        var payload = ControlPlaneApp.Payload(signedIn.AccessToken);
        Assert.Equal(string.Join(' ', Permissions.All.Order(StringComparer.Ordinal)), payload.GetProperty("scope").GetString());
        foreach (var claim in new[] { "iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid", "email" }) Assert.True(payload.TryGetProperty(claim, out _), claim);
        Assert.Equal("at+jwt", ControlPlaneApp.HeaderValue(signedIn.AccessToken, "typ"));
        Assert.Equal("ES256", ControlPlaneApp.HeaderValue(signedIn.AccessToken, "alg"));
    }

    [Fact]
    public async Task The_jwks_lists_public_parts_only()
    {
        using var client = cp.Client();
        using var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json"));

        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(
            new[] { "alg", "crv", "kid", "kty", "use", "x", "y" },
            key.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(("EC", "P-256", "sig", "ES256"),
            (key.GetProperty("kty").GetString(), key.GetProperty("crv").GetString(), key.GetProperty("use").GetString(), key.GetProperty("alg").GetString()));
    }

    [Fact]
    public async Task The_refresh_cookie_is_httponly_samesite_strict_and_scoped_to_the_auth_routes()
    {
        var user = await cp.CreateUserAsync();
        using var client = cp.Client();
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });

        var cookie = ControlPlaneApp.SetCookie(response, "hh_refresh");
        Assert.NotNull(cookie);
        var attributes = cookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/v1/auth", attributes);
        Assert.Contains(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", attributes); // plain HTTP here; Secure is set when the request is HTTPS
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Bearer", body.RootElement.GetProperty("token_type").GetString());
        Assert.False(body.RootElement.TryGetProperty("refresh_token", out _)); // browsers get it only as the HttpOnly cookie
    }

    [Fact]
    public async Task Email_case_does_not_matter()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user.Email.ToUpperInvariant(), user.Password);
        Assert.Equal(user.Id.ToString(), ControlPlaneApp.Payload(signedIn.AccessToken).GetProperty("sub").GetString());
    }

    [Fact]
    public async Task An_unknown_email_and_a_wrong_password_get_byte_identical_answers()
    {
        var user = await cp.CreateUserAsync();
        using var client = cp.Client();

        using var wrongPassword = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = "not-the-password-1" });
        using var unknownEmail = await client.PostAsJsonAsync("/v1/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@example.com", password = "not-the-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        Assert.Equal(await WithoutTraceIdAsync(wrongPassword), await WithoutTraceIdAsync(unknownEmail));
        Assert.Equal(Headers(wrongPassword), Headers(unknownEmail));
        Assert.Null(ControlPlaneApp.SetCookie(wrongPassword, "hh_refresh"));
    }

    [Fact]
    public async Task A_disabled_account_is_refused_exactly_like_a_wrong_password()
    {
        var user = await cp.CreateUserAsync();
        await using (var connection = await cp.Database.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE users SET disabled_at = now() WHERE id = @Id", user);
        using var client = cp.Client();

        using var disabled = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });
        using var wrong = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = "not-the-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, disabled.StatusCode);
        Assert.Equal(await WithoutTraceIdAsync(wrong), await WithoutTraceIdAsync(disabled));
    }

    [Fact]
    public async Task Five_failures_lock_the_account_with_429_and_retry_after_even_for_the_right_password_and_from_another_address()
    {
        var user = await cp.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            using var client = cp.Client();
            using var failed = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = $"wrong-password-{i}" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var elsewhere = cp.Client();
        using var locked = await elsewhere.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        var retryAfter = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Equal("application/problem+json", locked.Content.Headers.ContentType?.MediaType);
        Assert.Null(ControlPlaneApp.SetCookie(locked, "hh_refresh"));
    }

    [Fact]
    public async Task An_unknown_email_is_locked_out_after_as_many_failures_with_the_same_answer_as_an_account()
    {
        var user = await cp.CreateUserAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        using var client = cp.Client();
        for (var i = 0; i < 5; i++)
        {
            (await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = $"wrong-password-{i}" })).Dispose();
            (await client.PostAsJsonAsync("/v1/auth/login", new { email = unknown, password = $"wrong-password-{i}" })).Dispose();
        }

        // Each from a fresh address, so only the account counters speak.
        using var known = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = "wrong-password-x" });
        using var nobody = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email = unknown, password = "wrong-password-x" });

        Assert.Equal(HttpStatusCode.TooManyRequests, known.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, nobody.StatusCode);
        Assert.Equal(Problem(await known.Content.ReadAsStringAsync()), Problem(await nobody.Content.ReadAsStringAsync()));
        Assert.NotNull(nobody.Headers.RetryAfter);
    }

    [Fact]
    public async Task Thirty_failures_from_one_address_lock_that_address_for_every_account_but_not_other_addresses()
    {
        var user = await cp.CreateUserAsync();
        var address = cp.NewAddress();
        using var attacker = cp.Client(address);
        for (var i = 0; i < 30; i++)
        {
            // A new email each time: the per-account limit never trips, only the per-address one.
            using var failed = await attacker.PostAsJsonAsync("/v1/auth/login", new { email = $"guess-{i}-{Guid.NewGuid():N}@example.com", password = "guess-password-1" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var fromAttacker = await attacker.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, fromAttacker.StatusCode);
        Assert.NotNull(fromAttacker.Headers.RetryAfter);

        var fromElsewhere = await cp.LoginAsync(user.Email, user.Password);
        Assert.NotEmpty(fromElsewhere.AccessToken);
    }

    [Fact]
    public async Task A_successful_sign_in_clears_the_account_failure_count()
    {
        var user = await cp.CreateUserAsync();
        for (var round = 0; round < 2; round++)
        {
            using var client = cp.Client();
            for (var i = 0; i < 4; i++)
                (await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = $"wrong-password-{i}" })).Dispose();
            await cp.LoginAsync(user); // 4 + 4 failures would lock without this reset in between
        }
    }

    [Theory]
    [InlineData("""{"email":"a@example.com"}""", "password")]
    [InlineData("""{"password":"something-long"}""", "email")]
    [InlineData("""{"email":42,"password":"something-long"}""", "email")]
    [InlineData("""{"email":"a@example.com","password":"something-long","role":"owner"}""", "role")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""{"email":""", "body")]
    public async Task A_malformed_login_body_is_refused_with_400_naming_the_field(string json, string field)
    {
        using var client = cp.Client();
        using var response = await client.PostAsync("/v1/auth/login", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());
    }

    [Fact]
    public async Task A_password_longer_than_the_policy_allows_is_refused_before_any_hashing()
    {
        using var client = cp.Client();
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email = "a@example.com", password = new string('x', 257) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("password", problem.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_body_over_16_KiB_is_refused_with_413_before_parsing()
    {
        using var client = cp.Client();
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email = "a@example.com", password = new string('x', 100_000) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("body", problem.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_user_with_more_grants_than_fit_in_a_token_is_told_so_instead_of_getting_a_token_no_api_accepts()
    {
        var user = await cp.CreateUserAsync();
        await using (var connection = await cp.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @org, @user, 'member', 'project', @project)",
                Enumerable.Range(0, 80).Select(_ => new { id = Guid.NewGuid(), org = user.OrgId, user = user.Id, project = Guid.NewGuid() }));
        }

        using var response = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("too many to fit", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_user_with_only_a_project_role_gets_a_token_whose_grants_and_scope_name_that_project_only()
    {
        var user = await cp.CreateUserAsync(role: null);
        await using (var connection = await cp.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @org, @user, 'viewer', 'project', @project)",
                new { id = Guid.NewGuid(), org = user.OrgId, user = user.Id, project = cp.Bootstrap.ProjectId });
        }

        var signedIn = await cp.LoginAsync(user);

        var payload = ControlPlaneApp.Payload(signedIn.AccessToken);
        var grant = Assert.Single(payload.GetProperty("hh_grants").EnumerateArray());
        Assert.Equal(("project", cp.Bootstrap.ProjectId), (grant.GetProperty("scope").GetString(), grant.GetProperty("id").GetGuid()));
        var scope = payload.GetProperty("scope").GetString()!.Split(' ');
        Assert.Contains(Permissions.EventsRead, scope);
        Assert.DoesNotContain(Permissions.EventsWrite, scope);
        Assert.DoesNotContain(Permissions.MembersManage, scope);
    }

    [Fact]
    public async Task A_cli_may_ask_for_the_refresh_token_in_the_body_instead_of_a_cookie()
    {
        var user = await cp.CreateUserAsync();
        using var client = cp.Client();
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password, return_refresh_token = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("hh_rt_", body.RootElement.GetProperty("refresh_token").GetString());
        Assert.Null(ControlPlaneApp.SetCookie(response, "hh_refresh"));
    }

    /// <summary>
    /// The body's bytes with the value of <c>traceId</c> blanked: it names the request (random per request, whatever
    /// the email), so everything else must be byte for byte the same.
    /// </summary>
    private static async Task<byte[]> WithoutTraceIdAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var traceId = JsonDocument.Parse(text).RootElement.GetProperty("traceId").GetString()!;
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, System.Text.RegularExpressions.Regex.Escape(traceId)));
        return System.Text.Encoding.UTF8.GetBytes(text.Replace(traceId, "<trace>", StringComparison.Ordinal));
    }

    private static string Headers(HttpResponseMessage response) =>
        string.Join('\n', response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key is not "Date")
            .Select(h => $"{h.Key}: {string.Join(',', h.Value)}").Order(StringComparer.Ordinal));

    /// <summary>The problem without its detail (which counts down the seconds left).</summary>
    private static string Problem(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("detail");
        node.Remove("traceId");
        return node.ToJsonString();
    }
}

/// <summary>The keys of a fetched JWKS document, as a data plane would hold them.</summary>
internal sealed class JwksKeys(JsonWebKeySet set) : ISigningKeySource
{
    public ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<SecurityKey?>(set.Keys.FirstOrDefault(k => k.Kid == keyId));
}
