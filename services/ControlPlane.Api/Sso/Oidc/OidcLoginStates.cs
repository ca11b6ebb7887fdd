using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.State;
using HoneyHive.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using StackExchange.Redis;

namespace HoneyHive.ControlPlane.Api.Sso.Oidc;

/// <summary>A started OIDC sign-in, kept server-side until the provider sends the browser back.</summary>
/// <param name="BindingHash">SHA-256 of the browser's binding cookie: the callback must come from the browser that started.</param>
/// <param name="ReturnTo">A path of the web UI to land on afterwards.</param>
public sealed record OidcLoginState(Guid ConnectionId, string CodeVerifier, string Nonce, string BindingHash, string ReturnTo);

/// <summary>What the browser gets when a sign-in starts: the state for the provider and the binding for its cookie.</summary>
public sealed record StartedLogin(string State, string Binding, OidcLoginState Login);

/// <summary>
/// Started sign-ins in Redis, keyed by a hash of their <c>state</c>, expiring after <see cref="SsoOptions.FlowLifetime"/>
/// and taken with GETDEL: a state, and with it the code sent alongside, works once, even when two callbacks race.
/// Redis holds no usable secret: the state and the binding cookie are stored as hashes; the PKCE verifier and
/// nonce are useless without the code the provider gives only to the browser.
/// </summary>
public sealed class OidcLoginStates(IConnectionMultiplexer redis, IConfiguration configuration, IOptions<SsoOptions> options, ILogger<OidcLoginStates> logger)
{
    private readonly string prefix = (configuration["State:KeyPrefix"] ?? RedisConnectionExtensions.DefaultKeyPrefix) + "sso:oidc:state:";

    /// <summary>Creates and stores a sign-in through <paramref name="connectionId"/>: fresh state, nonce, PKCE verifier and binding.</summary>
    public async Task<StartedLogin> StartAsync(Guid connectionId, string returnTo)
    {
        var state = Random();
        var binding = Random();
        var login = new OidcLoginState(connectionId, Random(), Random(), Hash(binding), returnTo);
        await GuardAsync(() => redis.GetDatabase().StringSetAsync(Key(state), JsonSerializer.Serialize(login), options.Value.FlowLifetime));
        return new StartedLogin(state, binding, login);
    }

    /// <summary>The sign-in of <paramref name="state"/>, removed as it is read; null when unknown, expired or already taken.</summary>
    public async Task<OidcLoginState?> TakeAsync(string state)
    {
        if (state.Length is 0 or > 128) return null;
        var value = await GuardAsync(() => redis.GetDatabase().StringGetDeleteAsync(Key(state)));
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<OidcLoginState>(value.ToString());
    }

    /// <summary>The PKCE S256 challenge of a verifier (RFC 7636 4.2).</summary>
    public static string Challenge(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private string Key(string state) => prefix + Hash(state);

    // 256 bits, base64url: a PKCE verifier of 43 characters (RFC 7636 allows 43 to 128).
    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogError(ex, "Redis is unavailable; SSO sign-ins cannot keep their state");
            throw new ApiRequestException(StatusCodes.Status503ServiceUnavailable, null, "Single sign-on is unavailable right now; try again shortly.");
        }
    }
}
