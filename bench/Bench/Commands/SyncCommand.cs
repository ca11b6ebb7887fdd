using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using HoneyHive.DataPlane.Api;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench sync [--revokes N] [--objects N]`: the controllers' stream.
/// revoke_p99_ms: from the commit of a key's revocation in cpdb until the DP API refuses the key (GET /v1/projects answers
/// 401, polled every 10 ms), p99 over N revocations on the single-node Host (default sync and key-cache settings).
/// resync_s: a DP controller (its own process, its own dpdb) that was stopped while N new keys were added on the CP comes
/// back: from its process start until the version in its dpdb reaches the CP's version read after the changes; objects is
/// counted back from that dpdb. Baseline in the same run: cp_read_s, the CP reading the same keys itself (one SELECT).
/// Goals (reported, not asserted): revoke p99 ≤ 2 s, resync ≤ 10 s.
/// </summary>
public static class SyncCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var revokes = IntOption(args, "--revokes", 50);
        var objects = IntOption(args, "--objects", 100_000);
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");

        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string>(), ct);
        await using var cpdb = NpgsqlDataSource.Create(host.CpdbConnectionString);
        var latencies = await RevokeLatenciesAsync(host, cpdb, revokes, ct);
        var p99 = Percentile(latencies, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# revoke: p50 {Percentile(latencies, 0.5):0} ms, p99 {p99:0} ms, max {latencies.Max():0} ms over {latencies.Count}"));
        await host.StopAsync();

        var (resync, counted, baseline) = await ResyncAsync(host, cpdb, objects, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# resync of {objects} new keys: {resync:0.00} s; the CP's own read of them {baseline:0.00} s"));

        var results = new List<Measurement>
        {
            new("revoke.p99", "ms", p99, $"revocation commit in cpdb → DP API answers 401, {latencies.Count} keys"),
            new("revoke.p50", "ms", Percentile(latencies, 0.5)),
            new("resync", "s", resync, $"DP controller start → its dpdb version ≥ the CP's, after {objects} keys were added while it was stopped"),
            new("resync.objects", "rows", counted, "projects + api_keys + alerts in the DP's dpdb afterwards"),
            new("baseline.cp_read", "s", baseline, "the CP reading the same keys from cpdb in one SELECT"),
            new("resync.ratio_to_cp_read", "ratio", resync / baseline),
        };
        await ResultFile.PublishAsync("sync", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"sync: revoke_p99_ms={p99:0} resync_s={resync:0.00} objects={counted} cp_read_s={baseline:0.00} resync_to_cp_read={resync / baseline:0.0}"), ct);
        return 0;
    }

    /// <summary>Adds keys on the CP, waits until each works on the DP, then revokes them one by one and times the refusal.</summary>
    private static async Task<List<double>> RevokeLatenciesAsync(HostLauncher host, NpgsqlDataSource cpdb, int count, CancellationToken ct)
    {
        var keys = new List<(Guid Id, string Key)>();
        await using (var connection = await cpdb.OpenConnectionAsync(ct))
        {
            var orgId = await connection.ExecuteScalarAsync<Guid>("SELECT w.org_id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE p.id = @ProjectId", new { host.ProjectId });
            for (var i = 0; i < count; i++)
            {
                var key = "hh_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
                var id = Guid.NewGuid();
                await connection.ExecuteAsync(
                    """
                    INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes, org_id, scope_type, scope_id)
                    VALUES (@id, @ProjectId, 'bench revoke', 'hh_', @hash, ARRAY['read'], @orgId, 'project', @ProjectId)
                    """, new { id, host.ProjectId, hash = ApiKeys.Hash(key), orgId });
                keys.Add((id, key));
            }
        }

        using var http = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(10) };
        foreach (var (_, key) in keys)
        {
            var deadline = Stopwatch.StartNew();
            while (await StatusAsync(http, key, ct) != HttpStatusCode.OK)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException("A new key did not work on the DP within 60 s.");
                await Task.Delay(50, ct);
            }
        }

        var latencies = new List<double>();
        foreach (var (id, key) in keys)
        {
            // The key is in use (and so in the DP's key cache) when it is revoked, as a live SDK's would be.
            await StatusAsync(http, key, ct);
            await using (var connection = await cpdb.OpenConnectionAsync(ct))
                await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = now(), updated_at = now() WHERE id = @id", new { id });
            var sinceCommit = Stopwatch.StartNew();
            while (await StatusAsync(http, key, ct) != HttpStatusCode.Unauthorized)
            {
                if (sinceCommit.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException("A revoked key still worked on the DP after 60 s.");
                await Task.Delay(10, ct);
            }
            latencies.Add(sinceCommit.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/projects");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>
    /// A CP controller over the Host's cpdb and a DP controller over a fresh dpdb, both their own processes: the DP syncs,
    /// stops, <paramref name="objects"/> keys are added, and the DP comes back.
    /// </summary>
    private static async Task<(double Seconds, long Objects, double Baseline)> ResyncAsync(HostLauncher host, NpgsqlDataSource cpdb, int objects, CancellationToken ct)
    {
        var folder = Path.Combine(host.WorkingDirectory, "resync");
        Directory.CreateDirectory(folder);
        var dpdbConnection = await CreateDatabaseAsync("hh_bench_resync_" + Guid.NewGuid().ToString("N")[..10], ct);
        await using var dpdb = NpgsqlDataSource.Create(dpdbConnection);
        await PostgresMigrator.MigrateAsync(dpdb, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, ct);
        var cpUrl = $"http://127.0.0.1:{ControllerProcess.FreePort()}";
        await using var cp = ControllerProcess.Start("ControlPlane.Controller", new Dictionary<string, string>
        {
            ["ConnectionStrings__cpdb"] = host.CpdbConnectionString,
            ["Kestrel__Endpoints__Grpc__Url"] = cpUrl,
            ["Kestrel__Endpoints__Grpc__Protocols"] = "Http2",
            ["Controller__Sync__IdentityKeyPath"] = Path.Combine(folder, "cp.pem"),
        }, logLevel: "Warning");
        var dpSettings = new Dictionary<string, string>
        {
            ["ConnectionStrings__dpdb"] = dpdbConnection,
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{ControllerProcess.FreePort()}",
            ["Controller__ControlPlaneUrl"] = cpUrl,
            ["Controller__DataPlaneId"] = "bench-resync",
            ["Controller__IdentityPath"] = Path.Combine(folder, "dp.pem"),
        };

        await using (var first = ControllerProcess.Start("DataPlane.Controller", dpSettings, logLevel: "Warning"))
        {
            await WaitForVersionAsync(dpdb, await CpVersionAsync(cpdb, ct), first, ct);
            // SIGTERM: a stopped DP, not a crashed one.
            await first.StopAsync();
        }

        // Away: the new keys land on the CP while no DP controller runs.
        await using (var connection = await cpdb.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes, org_id, scope_type, scope_id)
                SELECT gen_random_uuid(), p.id, 'bench resync ' || g, 'hh_', sha256(convert_to(gen_random_uuid()::text, 'UTF8')), ARRAY['ingest', 'read'],
                       w.org_id, 'project', p.id
                FROM projects p JOIN workspaces w ON w.id = p.workspace_id, generate_series(1, @objects) AS g
                WHERE p.id = @ProjectId
                """, new { objects, host.ProjectId }, commandTimeout: 600, cancellationToken: ct));
        }
        var target = await CpVersionAsync(cpdb, ct);

        var baseline = Stopwatch.StartNew();
        await using (var connection = await cpdb.OpenConnectionAsync(ct))
        {
            var read = (await connection.QueryAsync<(Guid, Guid, byte[], string[], DateTime?)>(new CommandDefinition(
                "SELECT id, project_id, key_hash, scopes, revoked_at FROM api_keys WHERE kind = 'project' AND name LIKE 'bench resync %'",
                cancellationToken: ct))).Count();
            if (read != objects) throw new InvalidOperationException($"The CP holds {read} of the {objects} keys added.");
        }
        var cpRead = baseline.Elapsed.TotalSeconds;

        var resync = Stopwatch.StartNew();
        await using var back = ControllerProcess.Start("DataPlane.Controller", dpSettings, logLevel: "Warning");
        await WaitForVersionAsync(dpdb, target, back, ct);
        var seconds = resync.Elapsed.TotalSeconds;
        await using var count = await dpdb.OpenConnectionAsync(ct);
        var counted = await count.ExecuteScalarAsync<long>("SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM api_keys) + (SELECT count(*) FROM alerts)");
        return (seconds, counted, cpRead);
    }

    private static async Task<ulong> CpVersionAsync(NpgsqlDataSource cpdb, CancellationToken ct)
    {
        await using var connection = await cpdb.OpenConnectionAsync(ct);
        return (ulong)await connection.ExecuteScalarAsync<long>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
    }

    private static async Task WaitForVersionAsync(NpgsqlDataSource dpdb, ulong target, ControllerProcess dp, CancellationToken ct)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            await using (var connection = await dpdb.OpenConnectionAsync(ct))
            {
                if ((ulong)await connection.ExecuteScalarAsync<long>("SELECT version FROM sync_state") >= target) return;
            }
            if (limit.Elapsed > TimeSpan.FromMinutes(5) || dp.HasExited)
                throw new InvalidOperationException($"The DP did not reach version {target} within 5 minutes.\n{dp.Output}");
            await Task.Delay(20, ct);
        }
    }

    private static async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
    {
        var admin = BenchEnvironment.Require("HH_TEST_PG");
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(ct);
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        if (at < 0) return fallback;
        return at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} needs a positive whole number.");
    }
}
