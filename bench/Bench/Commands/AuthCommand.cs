using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench auth [--concurrency N] [--duration S] [--login-rate R] [--login-seconds S]`: sign-in latency,
/// the cost of authenticating an access token the DP's way, and DP throughput with tokens over throughput with
/// keys, on one Host in one run. The token comes from the CP's real sign-in (POST /v1/auth/login with the bootstrap
/// admin).
/// Goals (reported, not asserted): token_verify_us &lt; 50, dp_overhead_ratio &gt;= 0.95.
/// </summary>
public static class AuthCommand
{
    private const string Route = "/v1/projects";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var options = Options.Parse(args);
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();

        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string>(), ct);
        using var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(host.BootstrapPath, ct));

        var login = await LoginAsync(host, bootstrap.RootElement, options, ct);
        if (login is null) return 1;
        var (token, loginP99) = login.Value;
        results.Add(new Measurement("login.p99", "ms", loginP99, string.Create(CultureInfo.InvariantCulture,
            $"POST /v1/auth/login with the bootstrap admin, paced at {options.LoginRate}/s for {options.LoginSeconds} s, latency from due time")));

        var (warm, cold) = await VerifyCostAsync(host, token, ct);
        results.Add(new Measurement("token_verify.warm", "µs", warm, "DataPlaneAuthenticator.AuthenticateAsync of the same bearer, in process: hash lookup, kid check, project (cached), principal"));
        results.Add(new Measurement("token_verify.cold", "µs", cold, "AccessTokenValidator.ValidateAsync: parse, ES256 signature, iss/aud/lifetime/typ, grants (key already fetched)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# token verification: warm {warm:0.00} µs, cold {cold:0.0} µs"));

        var (keyRate, tokenRate) = await ThroughputAsync(host, token, options, ct);
        var ratio = tokenRate / keyRate;
        results.Add(new Measurement("dp.key.requests_per_s", "req/s", keyRate, $"GET {Route}, closed loop, {options.Concurrency} in flight, project API key"));
        results.Add(new Measurement("dp.token.requests_per_s", "req/s", tokenRate, $"the same with the access token (and x-hh-project-id)"));
        results.Add(new Measurement("dp.overhead_ratio", "ratio", ratio, "token over key; goal >= 0.95"));
        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));

        await ResultFile.PublishAsync("auth", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"auth: login_p99_ms={loginP99:0.0} token_verify_us={warm:0.00} dp_overhead_ratio={ratio:0.000} token_verify_cold_us={cold:0.0}"), ct);
        return 0;
    }

    /// <summary>Paced sign-ins (open loop, latency from due time); the last answer's access token. Null (and a reason on stderr) when sign-in is not served.</summary>
    private static async Task<(string Token, double P99)?> LoginAsync(HostLauncher host, JsonElement bootstrap, Options options, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = host.ControlPlaneApi, Timeout = TimeSpan.FromSeconds(30) };
        var body = new { email = bootstrap.GetProperty("admin_email").GetString(), password = bootstrap.GetProperty("admin_password").GetString() };
        using (var probe = await http.PostAsJsonAsync("/v1/auth/login", body, ct))
        {
            if (probe.StatusCode == HttpStatusCode.NotFound)
            {
                await Console.Error.WriteLineAsync(
                    "bench auth: POST /v1/auth/login answered 404: this build's control plane has no sign-in route, so login_p99_ms cannot be measured " +
                    "and there is no CP token to time.");
                return null;
            }
            if (!probe.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"bench auth: POST /v1/auth/login with the bootstrap admin answered {(int)probe.StatusCode}: {await probe.Content.ReadAsStringAsync(ct)}");
                return null;
            }
        }

        var latencies = new LatencyRecorder();
        var count = (int)(options.LoginRate * options.LoginSeconds);
        var clock = Stopwatch.StartNew();
        string? token = null;
        var failures = 0;
        var calls = Enumerable.Range(0, count).Select(async n =>
        {
            var due = TimeSpan.FromSeconds(n / options.LoginRate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            using var response = await http.PostAsJsonAsync("/v1/auth/login", body, ct);
            latencies.Record(clock.Elapsed - due);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
                return;
            }
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            token = answer.RootElement.GetProperty("access_token").GetString();
        }).ToList();
        await Task.WhenAll(calls);
        if (failures > 0 || token is null)
        {
            await Console.Error.WriteLineAsync($"bench auth: {failures} of {count} sign-ins failed (an attempt limit on successful sign-ins?)");
            return null;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# login: {count} sign-ins, p50 {latencies.Percentile(50):0.0} ms, p99 {latencies.Percentile(99):0.0} ms"));
        return (token, latencies.Percentile(99));
    }

    /// <summary>Mean µs per call: the DP's whole credential check on a warm cache, and a full verification without one.</summary>
    private static async Task<(double WarmMicros, double ColdMicros)> VerifyCostAsync(HostLauncher host, string token, CancellationToken ct)
    {
        var tokenOptions = new AccessTokenOptions { JwksUrl = new Uri(host.ControlPlaneApi, "/.well-known/jwks.json").ToString() };
        await using var dpdb = NpgsqlDataSource.Create(host.DpdbConnectionString);
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var keyOptions = new ApiKeyDirectoryOptions();
        using var jwks = new JwksKeySource(tokenOptions, TimeProvider.System, NullLogger<JwksKeySource>.Instance);
        using var tokens = new DataPlaneTokens(jwks, tokenOptions, TimeProvider.System);
        var authenticator = new DataPlaneAuthenticator(new ApiKeyDirectory(dpdb, cache, keyOptions), tokens, new DataPlaneProjects(dpdb, cache, keyOptions));
        var bearer = "Bearer " + token;

        var first = await authenticator.AuthenticateAsync(bearer, null, "bench", ct);
        if (!first.Succeeded) throw new InvalidOperationException($"The token was refused in process: {first.Status} {first.Detail}");
        const int warmCalls = 200_000;
        for (var i = 0; i < 10_000; i++) await authenticator.AuthenticateAsync(bearer, null, "bench", ct);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < warmCalls; i++) await authenticator.AuthenticateAsync(bearer, null, "bench", ct);
        var warm = watch.Elapsed.TotalMicroseconds / warmCalls;

        // A validator of its own: no token cache, the key already in the JWKS source's set.
        var validator = new AccessTokenValidator(jwks, tokenOptions, TimeProvider.System);
        const int coldCalls = 3_000;
        for (var i = 0; i < 300; i++) await validator.ValidateAsync(token, ct);
        watch.Restart();
        for (var i = 0; i < coldCalls; i++)
        {
            var (verified, error) = await validator.ValidateAsync(token, ct);
            if (verified is null) throw new InvalidOperationException("The token was refused: " + error);
        }
        return (warm, watch.Elapsed.TotalMicroseconds / coldCalls);
    }

    /// <summary>Closed-loop requests per second with the key and with the token, interleaved (key, token, key, token) so drift hits both.</summary>
    private static async Task<(double Key, double Token)> ThroughputAsync(HostLauncher host, string token, Options options, CancellationToken ct)
    {
        var project = host.ProjectId.ToString();
        var half = TimeSpan.FromSeconds(options.DurationSeconds / 2.0);
        // Warm both paths (JIT, connection pool, caches) before anything counts.
        await ClosedLoopAsync(host, host.ApiKey, project, options.Concurrency, TimeSpan.FromSeconds(2), ct);
        await ClosedLoopAsync(host, token, project, options.Concurrency, TimeSpan.FromSeconds(2), ct);
        long keyCalls = 0, tokenCalls = 0;
        for (var round = 0; round < 2; round++)
        {
            keyCalls += await ClosedLoopAsync(host, host.ApiKey, project, options.Concurrency, half, ct);
            tokenCalls += await ClosedLoopAsync(host, token, project, options.Concurrency, half, ct);
        }
        var seconds = 2 * half.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# GET {Route}: key {keyCalls / seconds:0} req/s, token {tokenCalls / seconds:0} req/s"));
        return (keyCalls / seconds, tokenCalls / seconds);
    }

    private static async Task<long> ClosedLoopAsync(HostLauncher host, string bearer, string project, int concurrency, TimeSpan duration, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency };
        using var http = new HttpClient(handler) { BaseAddress = host.DataPlaneApi };
        http.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        http.DefaultRequestHeaders.Add(DataPlaneAuthenticator.ProjectHeader, project);
        long calls = 0;
        var deadline = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (deadline.Elapsed < duration)
            {
                using var response = await http.GetAsync(new Uri(Route, UriKind.Relative), ct);
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"GET {Route} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                await response.Content.ReadAsByteArrayAsync(ct);
                Interlocked.Increment(ref calls);
            }
        });
        await Task.WhenAll(workers);
        return calls;
    }

    private sealed record Options(int Concurrency, double DurationSeconds, double LoginRate, double LoginSeconds)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(16, 20, 4, 10);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--concurrency" => options with { Concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--duration" => options with { DurationSeconds = double.Parse(args[++i].TrimEnd('s'), CultureInfo.InvariantCulture) },
                    "--login-rate" => options with { LoginRate = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                    "--login-seconds" => options with { LoginSeconds = double.Parse(args[++i].TrimEnd('s'), CultureInfo.InvariantCulture) },
                    var other => throw new BenchEnvironmentException(
                        $"bench auth: unknown argument '{other}'. Usage: bench auth [--concurrency N] [--duration S] [--login-rate R] [--login-seconds S]"),
                };
            }
            return options;
        }
    }
}
