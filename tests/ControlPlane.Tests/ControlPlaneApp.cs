using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Accounts;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ControlPlane.Tests;

/// <summary>A user created for a test, with their password in clear.</summary>
public sealed record TestUser(Guid Id, string Email, string Password, Guid OrgId, string? Role);

/// <summary>A sign-in: the access token and the refresh token the cookie carried.</summary>
public sealed record SignedIn(string AccessToken, string RefreshToken, int ExpiresIn);

/// <summary>
/// The control-plane API as a real process runs it (AddServiceDefaults, AddControlPlaneApi, MapDefaultEndpoints,
/// MapControlPlaneApi, Production environment) on a TestServer, over a fresh cpdb with the bootstrap done, the test
/// Redis (keys under a prefix of its own) and the test NATS. Time is a <see cref="ManualClock"/> the test can move.
/// Each client gets a client address of its own (the X-Test-Client-Ip header, honoured by this test pipeline only),
/// so per-address limits in one test do not leak into another.
/// </summary>
public class ControlPlaneApp : IAsyncLifetime
{
    public const string ClientIpHeader = "X-Test-Client-Ip";

    private readonly TestDatabase database = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "hh-cp-test-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> settings;
    private WebApplication? app;
    private bool ownsDatabase;
    private int nextAddress;

    public ControlPlaneApp()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="settings">Configuration on top of the defaults (a null value removes a default); for subclasses with other settings.</param>
    protected ControlPlaneApp(IReadOnlyDictionary<string, string?> settings)
    {
        this.settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ConnectionStrings:redis"] = TestServers.Redis,
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
            ["Bootstrap:OutputPath"] = Path.Combine(directory, "bootstrap.json"),
            ["ControlPlane:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["State:KeyPrefix"] = $"hh-cp-test-{Guid.NewGuid():N}:",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings) this.settings[key] = value;
    }

    /// <summary>An app with <paramref name="settings"/> on top of the defaults (null removes one), for tests that start their own.</summary>
    public static ControlPlaneApp With(IReadOnlyDictionary<string, string?> settings) => new(settings);

    public ManualClock Clock { get; } = new();

    /// <summary>Every log line the app wrote at or above the configured level (Warning unless a test sets Logging:LogLevel:Default).</summary>
    public CollectedLogs Logs { get; } = new();

    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("The app is not started.");

    public NpgsqlDataSource Database => ownsDatabase ? database.DataSource : throw new InvalidOperationException("This app uses another app's database.");

    /// <summary>The cpdb connection string, for a second instance over the same database.</summary>
    public string ConnectionString => settings["ConnectionStrings:cpdb"]!;

    /// <summary>The settings this app started with (master key included), for a second instance.</summary>
    public IReadOnlyDictionary<string, string?> Settings => settings;

    /// <summary>What the bootstrap wrote: the admin (owner of the first org), the org, workspace, project and key (null for a second instance).</summary>
    public BootstrapResult Bootstrap { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        // A cpdb given in the settings is another app's (two instances over one database); else a fresh one.
        if (!settings.ContainsKey("ConnectionStrings:cpdb"))
        {
            await database.InitializeAsync();
            ownsDatabase = true;
            settings["ConnectionStrings:cpdb"] = database.ConnectionString;
        }
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        builder.Configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null));
        builder.Services.AddSingleton<TimeProvider>(Clock);
        builder.AddServiceDefaults();
        builder.AddControlPlaneApi();
        app = builder.Build();
        app.Use((context, next) =>
        {
            if (IPAddress.TryParse(context.Request.Headers[ClientIpHeader], out var address)) context.Connection.RemoteIpAddress = address;
            return next(context);
        });
        app.MapDefaultEndpoints();
        app.MapControlPlaneApi();
        await app.StartAsync();
        // Only the instance that bootstrapped the database has the file.
        if (File.Exists(settings["Bootstrap:OutputPath"]))
            Bootstrap = JsonSerializer.Deserialize<BootstrapResult>(await File.ReadAllTextAsync(settings["Bootstrap:OutputPath"]!))!;
    }

    public virtual async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        if (ownsDatabase) await database.DisposeAsync();
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    /// <summary>A client of the CP API from an address no other client of this app uses (or <paramref name="address"/>).</summary>
    public HttpClient Client(string? address = null, string? bearer = null)
    {
        var client = app?.GetTestClient() ?? throw new InvalidOperationException("The app is not started.");
        client.DefaultRequestHeaders.Add(ClientIpHeader, address ?? NewAddress());
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>An IPv4 address unique within this app.</summary>
    public string NewAddress()
    {
        var n = Interlocked.Increment(ref nextAddress);
        return $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
    }

    /// <summary>A user with a unique email and a member row in <paramref name="orgId"/> (the bootstrap org by default) with <paramref name="role"/>.</summary>
    public async Task<TestUser> CreateUserAsync(string? role = BuiltInRoles.Member, Guid? orgId = null, string? password = null)
    {
        var user = new TestUser(Guid.CreateVersion7(), $"user-{Guid.NewGuid():N}@example.com", password ?? "pw-" + Guid.NewGuid().ToString("N"),
            orgId ?? Bootstrap.OrgId, role);
        await using var connection = await Database.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password_hash, name) VALUES (@Id, @Email, @hash, 'Test User')",
            new { user.Id, user.Email, hash = PasswordHasher.Hash(user.Password) });
        await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role) VALUES (@OrgId, @Id, @Role)", user);
        return user;
    }

    /// <summary>Signs in through POST /v1/auth/login and fails the test unless it answers 200 with a refresh cookie.</summary>
    public async Task<SignedIn> LoginAsync(string email, string password, string? address = null)
    {
        using var client = Client(address);
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email, password });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Login answered {(int)response.StatusCode}: {text}");
        using var body = JsonDocument.Parse(text);
        var refresh = RefreshCookie(response) ?? throw new Xunit.Sdk.XunitException("Login set no refresh cookie.");
        return new SignedIn(body.RootElement.GetProperty("access_token").GetString()!, refresh, body.RootElement.GetProperty("expires_in").GetInt32());
    }

    public Task<SignedIn> LoginAsync(TestUser user) => LoginAsync(user.Email, user.Password);

    /// <summary>One value read from cpdb, for assertions on what a route stored.</summary>
    public async Task<T?> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }

    /// <summary>The value of the refresh cookie a response set, or null.</summary>
    public static string? RefreshCookie(HttpResponseMessage response) =>
        SetCookie(response, AuthApi.RefreshCookie) is { } header ? header.Split(';')[0][(AuthApi.RefreshCookie.Length + 1)..] : null;

    /// <summary>The whole Set-Cookie header a response set for <paramref name="name"/>, or null.</summary>
    public static string? SetCookie(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal))
            : null;

    /// <summary>A request carrying the refresh cookie, as a browser sends it to /v1/auth/*.</summary>
    public static HttpRequestMessage WithRefreshCookie(HttpMethod method, string path, string refreshToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"{AuthApi.RefreshCookie}={refreshToken}");
        return request;
    }

    /// <summary>The grants of an access token's payload, unverified (the tests verify separately).</summary>
    public static JsonElement Payload(string accessToken)
    {
        var part = accessToken.Split('.')[1];
        return JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(part)).RootElement.Clone();
    }

    public static string HeaderValue(string accessToken, string name)
    {
        var part = accessToken.Split('.')[0];
        return JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(part)).RootElement.GetProperty(name).GetString()!;
    }
}

/// <summary>Log lines (message and exception) of an app, for tests that check what is, and is not, logged.</summary>
public sealed class CollectedLogs : ILoggerProvider, ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");

    public void Dispose()
    {
    }
}
