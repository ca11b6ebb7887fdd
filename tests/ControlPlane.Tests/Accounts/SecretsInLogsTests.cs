using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using NATS.Client.Core;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>Passwords, refresh tokens, access tokens and reset tokens never reach the logs, whatever the route does with them.</summary>
public sealed class SecretsInLogsTests : IAsyncLifetime
{
    private readonly ControlPlaneApp cp = ControlPlaneApp.With(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" });

    public Task InitializeAsync() => cp.InitializeAsync();

    public Task DisposeAsync() => cp.DisposeAsync();

    [Fact]
    public async Task Sign_in_refresh_replay_password_change_and_reset_log_no_secret()
    {
        var user = await cp.CreateUserAsync();
        var secrets = new List<string> { user.Password };
        var signedIn = await cp.LoginAsync(user);
        secrets.AddRange([signedIn.AccessToken, signedIn.RefreshToken]);
        using (var wrong = await cp.Client().PostAsJsonAsync("/v1/auth/login", new { email = user.Email, password = "wrong-password-logged?" }))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        secrets.Add("wrong-password-logged?");

        using var refreshed = await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken));
        secrets.Add(ControlPlaneApp.RefreshCookie(refreshed)!);
        using (await cp.Client().SendAsync(ControlPlaneApp.WithRefreshCookie(HttpMethod.Post, "/v1/auth/refresh", signedIn.RefreshToken))) { } // replay: logged as theft, without the token

        const string Changed = "changed-password-never-logged";
        var current = await cp.LoginAsync(user);
        using (var change = await cp.Client(bearer: current.AccessToken).PostAsJsonAsync("/v1/auth/password", new { current_password = user.Password, new_password = Changed }))
            Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        secrets.AddRange([Changed, current.AccessToken, current.RefreshToken]);

        await using var nats = new NatsConnection(new NatsOpts { Url = TestServers.NatsUrl });
        await using var mails = await nats.SubscribeCoreAsync<byte[]>("notifications.email");
        using (await cp.Client().PostAsJsonAsync("/v1/auth/password-reset", new { email = user.Email })) { }
        string token;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (true)
            {
                var data = JsonDocument.Parse((await mails.Msgs.ReadAsync(timeout.Token)).Data!).RootElement.GetProperty("data");
                if (data.GetProperty("to").GetString() != user.Email) continue;
                token = HttpUtility.ParseQueryString(new Uri(data.GetProperty("reset_url").GetString()!).Query)["token"]!;
                break;
            }
        }
        const string AfterReset = "reset-password-never-logged";
        using (var confirm = await cp.Client().PostAsJsonAsync("/v1/auth/password-reset/confirm", new { token, new_password = AfterReset }))
            Assert.Equal(HttpStatusCode.NoContent, confirm.StatusCode);
        secrets.AddRange([token, AfterReset]);

        var logs = string.Join('\n', cp.Logs.Lines);
        Assert.Contains("Published a password reset mail", logs, StringComparison.Ordinal); // the capture works at this level
        Assert.Contains("presented again", logs, StringComparison.Ordinal);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, logs, StringComparison.Ordinal));
        Assert.DoesNotContain("hh_rt_", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("hh_pr_", logs, StringComparison.Ordinal);
    }
}
