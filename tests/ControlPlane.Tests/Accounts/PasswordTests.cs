using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using Dapper;
using NATS.Client.Core;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>Password change (signed in) and reset (by mail on notifications.email, single-use, expiring).</summary>
public sealed class PasswordTests(ControlPlaneApp cp) : IClassFixture<ControlPlaneApp>
{
    private const string NewPassword = "a-brand-new-password-42";

    [Fact]
    public async Task Changing_the_password_retires_the_old_one_ends_other_sessions_and_is_audited_without_secrets()
    {
        var user = await cp.CreateUserAsync();
        var current = await cp.LoginAsync(user);
        var other = await cp.LoginAsync(user);

        using var change = await cp.Client(bearer: current.AccessToken).PostAsJsonAsync("/v1/auth/password",
            new { current_password = user.Password, new_password = NewPassword });

        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        using var oldPassword = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        await cp.LoginAsync(user.Email, NewPassword);
        using var otherRefresh = await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", other.RefreshToken));
        Assert.Equal(HttpStatusCode.Unauthorized, otherRefresh.StatusCode);
        using var currentRefresh = await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", current.RefreshToken));
        Assert.Equal(HttpStatusCode.OK, currentRefresh.StatusCode);

        await using var connection = await cp.Database.OpenConnectionAsync();
        var audit = (await connection.QueryAsync<(Guid OrgId, string ActorType, string ActorId, string TargetId, string Entry)>(
            "SELECT org_id, actor_type, actor_id, target_id, row_to_json(a)::text FROM audit_log a WHERE action = 'user.password_changed' AND target_id = @id",
            new { id = user.Id.ToString() })).ToList();
        var entry = Assert.Single(audit);
        Assert.Equal((cp.Bootstrap.OrgId, "user", user.Id.ToString()), (entry.OrgId, entry.ActorType, entry.ActorId));
        Assert.DoesNotContain(NewPassword, entry.Entry);
        Assert.DoesNotContain(user.Password, entry.Entry);
        Assert.DoesNotContain("argon2", entry.Entry);
    }

    [Fact]
    public async Task A_wrong_current_password_is_refused_naming_the_field_and_counts_toward_the_lockout()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);
        using var client = cp.Client(bearer: signedIn.AccessToken);

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/v1/auth/password", new { current_password = $"wrong-password-{i}", new_password = NewPassword });
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Equal("current_password", JsonDocument.Parse(await wrong.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
        }
        using var locked = await client.PostAsJsonAsync("/v1/auth/password", new { current_password = user.Password, new_password = NewPassword });

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("short", "new_password")]
    [InlineData(null, "new_password")]
    public async Task A_new_password_outside_the_policy_is_refused_naming_new_password(string? next, string field)
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);

        using var response = await cp.Client(bearer: signedIn.AccessToken).PostAsJsonAsync("/v1/auth/password",
            new { current_password = user.Password, new_password = next });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_same_password_again_is_refused()
    {
        var user = await cp.CreateUserAsync();
        var signedIn = await cp.LoginAsync(user);

        using var response = await cp.Client(bearer: signedIn.AccessToken).PostAsJsonAsync("/v1/auth/password",
            new { current_password = user.Password, new_password = user.Password });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("new_password", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_reset_answers_the_same_202_for_any_email_mails_only_accounts_and_its_token_works_once()
    {
        var user = await cp.CreateUserAsync();
        var session = await cp.LoginAsync(user);
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        await using var nats = new NatsConnection(new NatsOpts { Url = TestServers.NatsUrl });
        await using var mails = await nats.SubscribeCoreAsync<byte[]>("notifications.email");
        using var client = cp.Client();

        using var forNobody = await client.PostAsJsonAsync("/v1/auth/password-reset", new { email = unknown });
        using var forUser = await client.PostAsJsonAsync("/v1/auth/password-reset", new { email = user.Email });

        Assert.Equal(HttpStatusCode.Accepted, forNobody.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, forUser.StatusCode);
        Assert.Equal(await forNobody.Content.ReadAsByteArrayAsync(), await forUser.Content.ReadAsByteArrayAsync());

        // Mails go out in request order: had the unknown email produced one, it would come first.
        var mail = await NextMailAsync(mails, [unknown, user.Email]);
        Assert.Equal(user.Email, mail.GetProperty("to").GetString());
        Assert.Equal("password_reset", mail.GetProperty("template").GetString());
        var url = new Uri(mail.GetProperty("reset_url").GetString()!);
        Assert.Equal("http://127.0.0.1:3000/reset-password", url.GetLeftPart(UriPartial.Path));
        var token = HttpUtility.ParseQueryString(url.Query)["token"]!;
        Assert.InRange(mail.GetProperty("expires_at").GetDateTimeOffset() - cp.Clock.GetUtcNow(), TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));

        using var confirm = await client.PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token, new_password = NewPassword });
        Assert.Equal(HttpStatusCode.NoContent, confirm.StatusCode);
        await cp.LoginAsync(user.Email, NewPassword);
        using var oldSession = await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", session.RefreshToken));
        Assert.Equal(HttpStatusCode.Unauthorized, oldSession.StatusCode);

        using var again = await client.PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token, new_password = "yet-another-password-1" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("token", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
        await using var connection = await cp.Database.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action = 'user.password_reset' AND target_id = @id", new { id = user.Id.ToString() }));
    }

    [Fact]
    public async Task An_expired_reset_token_is_refused()
    {
        var user = await cp.CreateUserAsync();
        await using var nats = new NatsConnection(new NatsOpts { Url = TestServers.NatsUrl });
        await using var mails = await nats.SubscribeCoreAsync<byte[]>("notifications.email");
        using (var request = await cp.Client().PostAsJsonAsync("/v1/auth/password-reset", new { email = user.Email }))
            Assert.Equal(HttpStatusCode.Accepted, request.StatusCode);
        var mail = await NextMailAsync(mails, [user.Email]);
        var token = HttpUtility.ParseQueryString(new Uri(mail.GetProperty("reset_url").GetString()!).Query)["token"]!;

        cp.Clock.Advance(TimeSpan.FromMinutes(31));
        using var confirm = await cp.Client().PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token, new_password = NewPassword });

        Assert.Equal(HttpStatusCode.BadRequest, confirm.StatusCode);
        Assert.Equal("token", JsonDocument.Parse(await confirm.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
        await cp.LoginAsync(user); // the password is unchanged
    }

    [Fact]
    public async Task Reset_requests_for_one_email_are_limited_whether_or_not_it_has_an_account()
    {
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";
        for (var i = 0; i < 3; i++)
        {
            using var accepted = await cp.Client().PostAsJsonAsync("/v1/auth/password-reset", new { email = unknown });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        using var limited = await cp.Client().PostAsJsonAsync("/v1/auth/password-reset", new { email = unknown });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("""{"email":"not-an-email"}""", "email")]
    [InlineData("""{"email":"a@example.com","user_id":"x"}""", "user_id")]
    public async Task A_malformed_reset_request_is_refused_naming_the_field(string json, string field)
    {
        using var response = await cp.Client().PostAsync("/v1/auth/password-reset", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task A_made_up_reset_token_is_refused_and_a_weak_new_password_is_refused_first()
    {
        using var client = cp.Client();
        using var madeUp = await client.PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token = "hh_pr_" + new string('A', 43), new_password = NewPassword });
        using var weak = await client.PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token = "hh_pr_" + new string('A', 43), new_password = "short" });

        Assert.Equal("token", JsonDocument.Parse(await madeUp.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
        Assert.Equal("new_password", JsonDocument.Parse(await weak.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    /// <summary>The data of the next reset mail addressed to one of <paramref name="recipients"/> (other tests' mails are skipped).</summary>
    private static async Task<JsonElement> NextMailAsync(INatsSub<byte[]> mails, string[] recipients)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var message = await mails.Msgs.ReadAsync(timeout.Token);
            var data = JsonDocument.Parse(message.Data!).RootElement.GetProperty("data").Clone();
            if (recipients.Contains(data.GetProperty("to").GetString())) return data;
        }
    }
}
