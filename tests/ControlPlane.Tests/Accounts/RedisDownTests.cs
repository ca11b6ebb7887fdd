using System.Net;
using System.Net.Http.Json;

namespace HoneyHive.ControlPlane.Tests.Accounts;

/// <summary>Without Redis the attempt limits cannot be kept, so sign-in and resets are refused (fail closed), never let through unlimited.</summary>
public sealed class RedisDownTests : IAsyncLifetime
{
    // Nothing listens on port 1; short timeouts keep the refusal quick.
    private readonly ControlPlaneApp cp = ControlPlaneApp.With(new Dictionary<string, string?>
    {
        ["ConnectionStrings:redis"] = "127.0.0.1:1,connectTimeout=500,asyncTimeout=1000,syncTimeout=1000",
    });

    public Task InitializeAsync() => cp.InitializeAsync();

    public Task DisposeAsync() => cp.DisposeAsync();

    [Fact]
    public async Task Login_with_the_right_password_and_reset_requests_answer_503_while_redis_is_down()
    {
        using var client = cp.Client();

        using var login = await client.PostAsJsonAsync("/v1/auth/login", new { email = cp.Bootstrap.AdminEmail, password = cp.Bootstrap.AdminPassword });
        using var reset = await client.PostAsJsonAsync("/v1/auth/password-reset", new { email = cp.Bootstrap.AdminEmail });
        using var jwks = await client.GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, reset.StatusCode);
        Assert.Null(ControlPlaneApp.SetCookie(login, "hh_refresh"));
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode); // verifying tokens does not need Redis
    }
}
