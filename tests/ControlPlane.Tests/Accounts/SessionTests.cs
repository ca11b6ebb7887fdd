using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>Refresh-token rotation with reuse detection, sign-out of one session and of all, and GET /v1/auth/me.</summary>
public sealed class SessionTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    [Fact]
    public async Task Refresh_rotates_the_cookie_and_answers_a_new_access_token_of_the_same_session()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);
        using var client = cp.Client();

        using var response = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var next = ControlPlaneApp.RefreshCookie(response);
        Assert.NotNull(next);
        Assert.NotEqual(signedIn.RefreshToken, next);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var access = body.RootElement.GetProperty("access_token").GetString()!;
        Assert.NotEqual(signedIn.AccessToken, access);
        Assert.Equal(ControlPlaneApp.Payload(signedIn.AccessToken).GetProperty("sid").GetString(), ControlPlaneApp.Payload(access).GetProperty("sid").GetString());
        using var me = await cp.Client(bearer: access).GetAsync("/v1/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task Replaying_a_rotated_refresh_token_is_refused_and_revokes_the_whole_session()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);
        using var client = cp.Client();
        using var first = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
        var rotated = ControlPlaneApp.RefreshCookie(first)!;

        // The thief (or the victim) presents the old token again...
        using var replay = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("expires=Thu, 01 Jan 1970", ControlPlaneApp.SetCookie(replay, "hh_refresh") ?? "", StringComparison.OrdinalIgnoreCase);

        // ...and the token that replaced it no longer works either: the session is over for both.
        using var after = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", rotated));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM refresh_tokens WHERE user_id = @Id AND revoked_at IS NULL", user));
    }

    [Fact]
    public async Task A_refresh_token_in_the_body_is_rotated_in_the_body()
    {
        var user = await cp.CreateUserAsync();
        using var client = cp.Client();
        using var login = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password, return_refresh_token = true });
        var refresh = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh_token").GetString();

        using var response = await client.PostAsJsonAsync("/v1/auth/refresh", new { refresh_token = refresh });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var next = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh_token").GetString();
        Assert.NotEqual(refresh, next);
        Assert.Null(ControlPlaneApp.SetCookie(response, "hh_refresh"));
    }

    [Fact]
    public async Task An_expired_or_unknown_refresh_token_is_refused()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);
        await using (var connection = await cp.Database.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE refresh_tokens SET expires_at = @at WHERE user_id = @id", new { id = user.Id, at = cp.Clock.GetUtcNow().AddSeconds(-1) });
        using var client = cp.Client();

        using var expired = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
        using var unknown = await client.PostAsJsonAsync("/v1/auth/refresh", new { refresh_token = "hh_rt_" + new string('A', 43) });
        using var none = await client.PostAsync("/v1/auth/refresh", null);

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
    }

    [Fact]
    public async Task Racing_refreshes_with_one_token_let_exactly_one_through_and_end_the_session()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var client = cp.Client();
            using var response = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
            return response.StatusCode;
        }));

        Assert.Single(answers, s => s == HttpStatusCode.OK);
        Assert.All(answers.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM refresh_tokens WHERE user_id = @Id AND revoked_at IS NULL", user));
    }

    [Fact]
    public async Task Over_https_the_refresh_cookie_is_secure()
    {
        var user = await cp.CreateUserAsync();
        using var client = cp.Client();
        client.BaseAddress = new Uri("https://localhost/");

        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("secure", ControlPlaneApp.SetCookie(response, "hh_refresh")!.Split(';').Select(a => a.Trim().ToLowerInvariant()));
    }

    [Fact]
    public async Task Logout_with_the_cookie_ends_that_session_only_and_clears_the_cookie()
    {
        var user = await cp.CreateUserAsync();
        var laptop = await cp.LoginAsync(user);
        var phone = await cp.LoginAsync(user);
        using var client = cp.Client();

        using var logout = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/logout", laptop.RefreshToken));

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Contains("expires=Thu, 01 Jan 1970", ControlPlaneApp.SetCookie(logout, "hh_refresh") ?? "", StringComparison.OrdinalIgnoreCase);
        using var laptopRefresh = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", laptop.RefreshToken));
        using var phoneRefresh = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", phone.RefreshToken));
        Assert.Equal(HttpStatusCode.Unauthorized, laptopRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.OK, phoneRefresh.StatusCode);
    }

    [Fact]
    public async Task Logout_with_only_the_access_token_ends_the_session_it_names()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);

        using var logout = await cp.Client(bearer: signedIn.AccessToken).PostAsync("/v1/auth/logout", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var refresh = await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task Logout_all_ends_every_session_of_the_user_and_no_one_elses()
    {
        var user = await cp.CreateUserAsync();
        var other = await cp.CreateUserAsync();
        var first = await cp.LoginAsync(user);
        var second = await cp.LoginAsync(user);
        var someoneElse = await cp.LoginAsync(other);

        using var logout = await cp.Client(bearer: first.AccessToken).PostAsync("/v1/auth/logout-all", null);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var client = cp.Client();
        foreach (var session in new[] { first, second })
        {
            using var refresh = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", session.RefreshToken));
            Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        }
        using var unaffected = await client.SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", someoneElse.RefreshToken));
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }

    [Fact]
    public async Task Logout_all_and_me_need_a_signed_in_user()
    {
        using var client = cp.Client();
        using var logoutAll = await client.PostAsync("/v1/auth/logout-all", null);
        using var me = await client.GetAsync("/v1/auth/me");

        Assert.Equal(HttpStatusCode.Unauthorized, logoutAll.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task Routes_of_a_signed_in_user_refuse_a_control_plane_api_key_with_403()
    {
        var key = "hh_fgcp_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        await using (var connection = await cp.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO api_keys (id, kind, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes)
                VALUES (@id, 'control_plane', @org, 'org', @org, 'test', 'hh_fgcp_', @hash, ARRAY['members:read'])
                """,
                new { id = Guid.NewGuid(), org = cp.Bootstrap.OrgId, hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)) });
        }
        using var client = cp.Client(bearer: key);

        using var me = await client.GetAsync("/v1/auth/me");
        using var logoutAll = await client.PostAsync("/v1/auth/logout-all", null);
        using var password = await client.PostAsJsonAsync("/v1/auth/password", new { current_password = "x", new_password = "a-long-enough-password" });

        Assert.Equal(HttpStatusCode.Forbidden, me.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, logoutAll.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, password.StatusCode);
    }

    [Fact]
    public async Task Me_answers_the_user_their_orgs_with_role_and_their_grants()
    {
        var user = await cp.CreateUserAsync("viewer");
        var signedIn = await cp.LoginAsync(user);

        using var me = JsonDocument.Parse(await cp.Client(bearer: signedIn.AccessToken).GetStringAsync("/v1/auth/me"));

        var root = me.RootElement;
        Assert.Equal(user.Id, root.GetProperty("id").GetGuid());
        Assert.Equal(user.Email, root.GetProperty("email").GetString());
        Assert.Equal("Test User", root.GetProperty("name").GetString());
        var org = Assert.Single(root.GetProperty("orgs").EnumerateArray());
        Assert.Equal((cp.Bootstrap.OrgId, cp.Bootstrap.OrgName, "viewer"),
            (org.GetProperty("id").GetGuid(), org.GetProperty("name").GetString(), org.GetProperty("role").GetString()));
        var grant = Assert.Single(root.GetProperty("grants").EnumerateArray());
        Assert.Equal("org", grant.GetProperty("scope").GetString());
        Assert.Contains(grant.GetProperty("permissions").EnumerateArray(), p => p.GetString() == "events:read");
        Assert.DoesNotContain(grant.GetProperty("permissions").EnumerateArray(), p => p.GetString() == "events:write");
        Assert.False(root.TryGetProperty("password_hash", out _));
    }
}
