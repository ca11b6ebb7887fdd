using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Bench.Alerts;
using HoneyHive.Bench.Load;
using HoneyHive.Bench.Platform;
using HoneyHive.Bench.Report;
using Npgsql;

namespace HoneyHive.Bench.Commands;

/// <summary>
/// `bench alerts [--projects N] [--alerts-per-project N] [--triggers N]`: one Host with 1,000 active PER_EVENT alerts in
/// 100 projects (made through the CP API, synced to the DP by the controllers' stream, counted back from dpdb), each
/// notifying a signed webhook on loopback. The bench sends events that cross a threshold (then events that recover) with
/// each project's own key, and times for every one:
/// detect = the alert's transition recorded by the DP engine (dpdb alert_transitions.occurred_at) − the event's ingestion
///          ack (the moment it was durably accepted);
/// deliver = the webhook's arrival at the receiver − that transition.
/// A notification that never arrives counts as the wait limit (60 s), never left out; missing= and duplicates= say how
/// many. Baseline of the run: the same receiver's latency for POSTs sent straight from the bench (the HTTP floor).
/// Goals (reported, not asserted): detect p99 ≤ 5 s, deliver p99 ≤ 1 s.
/// </summary>
public static class AlertsCommand
{
    private const string Secret = "bench-webhook-secret-0123456789";
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private sealed record Trigger(Guid ProjectId, string AlertId, string Stage, DateTimeOffset AckedAt);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        BenchEnvironment.EnsureSet(BenchEnvironment.NatsUrlVariable, BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable, "HH_TEST_PG", "HH_TEST_REDIS");
        var (projectCount, perProject, triggerCount) = (100, 10, 200);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--projects": projectCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--alerts-per-project": perProject = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--triggers": triggerCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]} (use --projects N, --alerts-per-project N, --triggers N)");
            }
        }
        var startedAt = DateTimeOffset.UtcNow;
        Console.WriteLine($"# load average {ResultFile.LoadAverage() ?? "unknown"} on {Environment.ProcessorCount} cores");
        var results = new List<Measurement>();

        await using var receiver = await WebhookReceiver.StartAsync(Secret, ct);
        await using var host = await HostLauncher.StartAsync(new Dictionary<string, string>
        {
            // The receiver is on loopback, which the SSRF guard refuses unless the operator allows it.
            ["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1",
        }, ct);
        using var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(host.BootstrapPath, ct));
        using var cp = new HttpClient { BaseAddress = host.ControlPlaneApi, Timeout = TimeSpan.FromSeconds(60) };
        cp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await SignInAsync(cp, bootstrap.RootElement, ct));

        Console.WriteLine($"# creating {projectCount} projects with {perProject} alerts each");
        var projects = await ProjectsAsync(cp, bootstrap.RootElement, projectCount, ct);
        var alerts = new Dictionary<(Guid Project, int Index), string>();
        foreach (var (projectId, _) in projects)
        {
            for (var k = 0; k < perProject; k++)
            {
                var created = await ReadDataAsync(await cp.PostAsJsonAsync($"/v1/projects/{projectId}/alerts", AlertBody(k, receiver.Url), ct), ct);
                alerts[(projectId, k)] = created["id"]!.GetValue<string>();
            }
        }
        var synced = await WaitForSyncAsync(host.DpdbConnectionString, alerts.Count, ct);
        results.Add(new Measurement("alerts.active", "alerts", synced, "alert definitions on the DP (dpdb alerts), synced from the CP"));
        Console.WriteLine($"# {synced} alerts on the data plane");

        var floor = await FloorAsync(receiver, ct);
        results.Add(new Measurement("baseline.webhook_post.p99", "ms", floor.Percentile(99), "a POST from the bench straight to the receiver, 200 paced at 20/s"));

        using var dp = new HttpClient { BaseAddress = host.DataPlaneApi, Timeout = TimeSpan.FromSeconds(30) };
        var random = new Random(7);
        var picks = Enumerable.Range(0, triggerCount).Select(i => (Project: projects[i % projects.Count], Index: random.Next(perProject))).DistinctBy(p => (p.Project.Id, p.Index)).ToList();
        var sent = new List<Trigger>();
        Console.WriteLine($"# crossing {picks.Count} alerts, then recovering them");
        foreach (var stage in new[] { "CRITICAL", "RESOLUTION" })
        {
            foreach (var (project, index) in picks)
            {
                var acked = await SendEventAsync(dp, project.Key, index, stage == "CRITICAL" ? 5_000 : 100, ct);
                sent.Add(new Trigger(project.Id, alerts[(project.Id, index)], stage, acked));
                await Task.Delay(50, ct);
            }
            await WaitForArrivalsAsync(receiver, sent.Count(s => s.Stage == stage), stage, ct);
        }

        var (detect, deliver, missing, duplicates, unsigned) = await MatchAsync(host.DpdbConnectionString, receiver, sent, ct);
        var detectP99 = detect.Percentile(99) / 1000;
        var deliverP99 = deliver.Percentile(99);
        results.Add(new Measurement("detect.p99", "s", detectP99, "ingestion ack of the crossing event → the DP engine's transition"));
        results.Add(new Measurement("detect.p50", "s", detect.Percentile(50) / 1000, "the same, median"));
        results.Add(new Measurement("deliver.p99", "ms", deliverP99, "the transition → the webhook at the receiver"));
        results.Add(new Measurement("deliver.p50", "ms", deliver.Percentile(50), "the same, median"));
        results.Add(new Measurement("deliver.floor_ratio", "ratio", deliverP99 / floor.Percentile(99), "deliver p99 over the direct POST's p99"));
        results.Add(new Measurement("notifications.expected", "count", sent.Count, "one per crossing and one per recovery"));
        results.Add(new Measurement("notifications.missing", "count", missing, "expected and not received within 60 s (counted as 60 s above)"));
        results.Add(new Measurement("notifications.duplicates", "count", duplicates, "received more than once for the same alert and stage"));
        results.Add(new Measurement("notifications.bad_signature", "count", unsigned, "webhooks whose signature did not verify"));
        results.Add(new Measurement("ingest.refused_429", "count", Refusals, "sends ingestion answered 429 (retried after Retry-After; detection counts from the final ack)"));
        results.Add(new Measurement("machine.load_average", "1 min", double.Parse(ResultFile.LoadAverage()?.Split(' ')[0] ?? "NaN", CultureInfo.InvariantCulture), ResultFile.LoadAverage()));

        await ResultFile.PublishAsync("alerts", startedAt, results, string.Create(CultureInfo.InvariantCulture,
            $"alerts: detect_p99_s={detectP99:0.00} deliver_p99_ms={deliverP99:0} alerts={synced} missing={missing} duplicates={duplicates} webhook_floor_p99_ms={floor.Percentile(99):0.0} ingest_429={Refusals}"), ct);
        return missing == 0 && duplicates == 0 && unsigned == 0 ? 0 : 1;
    }

    private static object AlertBody(int index, Uri receiver)
    {
        var destination = new { channel = "WEBHOOK", scope = "ALL_PROJECT_MEMBERS", metadata = new { url = new Uri(receiver, "/hook").ToString(), secret = Secret } };
        return new
        {
            name = $"slow step {index}",
            frequency = "HOURLY",
            alert_type = "PER_EVENT",
            aggregation = "MAX",
            thresholds = new { critical = new { @operator = "greater_than", value = 1000 }, resolved = new { @operator = "less_than", value = 500 } },
            filters = new[] { new { field = "event_name", @operator = "is", value = $"step-{index}", type = "string" } },
            projections = new[] { "duration" },
            notification_details = new { critical = destination, resolved = destination },
        };
    }

    private static async Task<string> SignInAsync(HttpClient cp, JsonElement bootstrap, CancellationToken ct)
    {
        var body = new { email = bootstrap.GetProperty("admin_email").GetString(), password = bootstrap.GetProperty("admin_password").GetString() };
        var answer = await (await cp.PostAsJsonAsync("/v1/auth/login", body, ct)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonNode>(ct);
        return answer!["access_token"]!.GetValue<string>();
    }

    /// <summary>The bootstrap project and new ones in its workspace, each with an ingest key of its own.</summary>
    private static async Task<List<(Guid Id, string Key)>> ProjectsAsync(HttpClient cp, JsonElement bootstrap, int count, CancellationToken ct)
    {
        var workspace = bootstrap.GetProperty("workspace_id").GetGuid();
        var ids = new List<Guid> { bootstrap.GetProperty("project_id").GetGuid() };
        for (var i = 1; i < count; i++)
            ids.Add(Guid.Parse((await ReadDataAsync(await cp.PostAsJsonAsync($"/v1/workspaces/{workspace}/projects", new { name = $"bench-alerts-{i}" }, ct), ct))["id"]!.GetValue<string>()));
        var projects = new List<(Guid, string)>();
        foreach (var id in ids)
        {
            var created = await (await cp.PostAsJsonAsync($"/v1/projects/{id}/api_keys", new { name = "bench", scopes = new[] { "ingest" } }, ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonNode>(ct);
            projects.Add((id, created!["key"]!.GetValue<string>()));
        }
        return projects;
    }

    private static async Task<JsonNode> ReadDataAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {text}");
        return JsonNode.Parse(text)!["data"]!;
    }

    private static async Task<long> WaitForSyncAsync(string dpdb, int expected, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(dpdb);
        await connection.OpenAsync(ct);
        var deadline = DateTimeOffset.UtcNow + WaitLimit;
        long count;
        while ((count = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM alerts")) < expected && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(250, ct);
        return count;
    }

    private static async Task<LatencyRecorder> FloorAsync(WebhookReceiver receiver, CancellationToken ct)
    {
        using var http = new HttpClient();
        var floor = new LatencyRecorder();
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 200; i++)
        {
            var due = start + TimeSpan.FromMilliseconds(50 * i);
            if (due > DateTimeOffset.UtcNow) await Task.Delay(due - DateTimeOffset.UtcNow, ct);
            using var response = await http.PostAsJsonAsync(new Uri(receiver.Url, "/floor"), new { probe = i }, ct);
            floor.Record(DateTimeOffset.UtcNow - due);
        }
        while (receiver.Received.TryDequeue(out _)) { }
        return floor;
    }

    /// <summary>
    /// Sends one model event of <paramref name="durationMs"/> named step-<paramref name="index"/>; the time of its ack. A 429
    /// (ingestion's back-pressure) is retried after its Retry-After, as an exporter would, and counted in <see cref="Refusals"/>.
    /// </summary>
    private static async Task<DateTimeOffset> SendEventAsync(HttpClient dp, string key, int index, int durationMs, CancellationToken ct)
    {
        var end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var body = new
        {
            event_type = "model", event_name = $"step-{index}", source = "bench", start_time = end - durationMs, end_time = end, duration = durationMs,
            inputs = new { prompt = "p" }, outputs = new { text = "t" },
        };
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await dp.SendAsync(request, ct);
            if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref refusals);
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct);
                continue;
            }
            response.EnsureSuccessStatusCode();
            return DateTimeOffset.UtcNow;
        }
    }

    private static int refusals;

    /// <summary>How many sends ingestion answered 429 (each retried until accepted).</summary>
    private static int Refusals => refusals;

    private static async Task WaitForArrivalsAsync(WebhookReceiver receiver, int expected, string stage, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + WaitLimit;
        while (receiver.Received.Count(r => StageOf(r.Body) == stage) < expected && DateTimeOffset.UtcNow < deadline) await Task.Delay(200, ct);
        // A little longer, so a duplicate that follows its original is seen.
        await Task.Delay(2_000, ct);
    }

    private static async Task<(LatencyRecorder Detect, LatencyRecorder Deliver, int Missing, int Duplicates, int Unsigned)> MatchAsync(
        string dpdb, WebhookReceiver receiver, List<Trigger> sent, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(dpdb);
        await connection.OpenAsync(ct);
        var transitions = (await connection.QueryAsync<(Guid AlertId, string ToStage, DateTime OccurredAt)>(
            "SELECT alert_id, to_stage, occurred_at FROM alert_transitions ORDER BY occurred_at")).ToList();
        var received = receiver.Received.ToList();
        var (detect, deliver) = (new LatencyRecorder(), new LatencyRecorder());
        var (missing, duplicates) = (0, 0);
        foreach (var trigger in sent)
        {
            var toStage = trigger.Stage == "RESOLUTION" ? "OK" : trigger.Stage;
            var transition = transitions.FirstOrDefault(t => t.AlertId.ToString() == trigger.AlertId && t.ToStage == toStage);
            var arrivals = received.Where(r => Find(r.Body, "alert_id") == trigger.AlertId && StageOf(r.Body) == trigger.Stage).ToList();
            if (transition == default || arrivals.Count == 0)
            {
                missing++;
                detect.Record(WaitLimit);
                deliver.Record(WaitLimit);
                continue;
            }
            duplicates += arrivals.Count - 1;
            var occurred = new DateTimeOffset(DateTime.SpecifyKind(transition.OccurredAt, DateTimeKind.Utc));
            detect.Record(occurred - trigger.AckedAt);
            deliver.Record(arrivals.Min(a => a.ArrivedAt) - occurred);
        }
        return (detect, deliver, missing, duplicates, received.Count(r => !r.SignatureValid));
    }

    private static string? StageOf(JsonNode? body) => Find(body, "stage");

    /// <summary>The first string property named <paramref name="name"/>, searched depth first (the payload nests the alert's fields).</summary>
    private static string? Find(JsonNode? node, string name)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj[name] is JsonValue value && value.TryGetValue<string>(out var text)) return text;
                foreach (var (_, child) in obj)
                    if (Find(child, name) is { } found) return found;
                return null;
            case JsonArray array:
                foreach (var child in array)
                    if (Find(child, name) is { } found) return found;
                return null;
            default:
                return null;
        }
    }
}
