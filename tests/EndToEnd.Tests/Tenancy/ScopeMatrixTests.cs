using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using HoneyHive.Platform.Security;
using Npgsql;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// Every route of the data-plane port, called with project A keys of one scope each (and none, and unknown
/// scope strings): 403 exactly when the key lacks the route's scope. The expected scope of each route is
/// written here, apart from the code, and compared with the route listing, so a new route fails until it is
/// added with a scope. Requests reuse the tenancy matrix's (they name project B's ids, so an allowed call
/// finds nothing and changes nothing); writes that only the landing probes cover get harmless bodies.
/// </summary>
[Collection(TenancyCollection.Name)]
public sealed class ScopeMatrixTests(TenancyHost host)
{
    private const string Public = "(public)";
    private const string Ingest = "ingest", Read = "read", Write = "write", Admin = "admin";

    /// <summary>The scope each route needs. A route missing here, or here but not served, fails the test.</summary>
    private static readonly Dictionary<string, string> Expected = BuildExpected();

    /// <summary>
    /// What each kind of key may call, stated independently of the production rule: write includes read,
    /// admin includes write and read, ingest stands alone, and unknown or miscased scope strings grant nothing.
    /// </summary>
    private static readonly (string Name, string[] Scopes, string[] May)[] Keys =
    [
        ("ingest-only", [Ingest], [Ingest]),
        ("read-only", [Read], [Read]),
        ("write-only", [Write], [Read, Write]),
        ("admin-only", [Admin], [Read, Write, Admin]),
        ("no scope", [], []),
        ("unknown scopes", ["superuser", "READ", "*", "ingest "], []),
    ];

    /// <summary>Listed on the port but not callable as a route of its own, and why.</summary>
    private static readonly Dictionary<string, string> NotCallable = new(StringComparer.Ordinal)
    {
        ["* /opentelemetry.proto.collector.trace.v1.TraceService/{unimplementedMethod:grpcunimplemented}"] =
            "gRPC's UNIMPLEMENTED answer for unknown methods of the trace service",
        ["* /opentelemetry.proto.collector.logs.v1.LogsService/{unimplementedMethod:grpcunimplemented}"] =
            "gRPC's UNIMPLEMENTED answer for unknown methods of the logs service",
    };

    /// <summary>
    /// Permissions a route checks in its handler beyond the one it declares: a token needs them as well to pass, and one
    /// lacking any of them is refused naming it. (A project key's scope grants all of them together.)
    /// </summary>
    private static readonly Dictionary<string, string[]> AlsoRequired = new(StringComparer.Ordinal)
    {
        ["POST /v1/playground/run"] = [HoneyHive.ServiceDefaults.Auth.Permissions.ConfigurationsRead],
    };

    private static readonly ConcurrentDictionary<TenancyHost, Task<Dictionary<string, string>>> KeysByHost = new();

    private static IReadOnlySet<string> ForwardedToControlPlane => DataPlaneRoutes.ForwardedToControlPlane;

    [Fact]
    public async Task Every_data_plane_route_has_an_expected_scope_and_every_expected_route_is_served()
    {
        var served = await DataPlaneRoutes.ListAsync(host);
        var missing = served.Where(r => !Expected.ContainsKey(r) && !NotCallable.ContainsKey(r)).Order(StringComparer.Ordinal).ToList();
        var stale = Expected.Keys.Where(r => !served.Contains(r)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "Routes with no expected scope in ScopeMatrixTests (add them with the scope they need):\n" + string.Join("\n", missing));
        Assert.True(stale.Count == 0, "Expected routes the Host does not serve:\n" + string.Join("\n", stale));
        Assert.True(served.Count > 100, $"Only {served.Count} routes listed.");
    }

    [Fact]
    public async Task Every_route_refuses_exactly_the_keys_that_lack_its_scope()
    {
        var keys = await KeysAsync();
        var requests = Requests();
        var failures = new List<string>();

        foreach (var (route, scope) in Expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!requests.TryGetValue(route, out var send))
            {
                failures.Add($"{route}: no request to call it with");
                continue;
            }

            foreach (var (name, _, may) in Keys)
            {
                var key = keys[name];
                var (status, body) = await send(key);
                var allowed = scope == Public || may.Contains(scope);
                if (allowed && status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                    failures.Add($"{route} with a {name} key: expected to pass the scope check, got {(int)status}: {Cut(body)}");
                if (!allowed && status != HttpStatusCode.Forbidden)
                    failures.Add($"{route} with a {name} key: expected 403 (needs '{scope}'), got {(int)status}: {Cut(body)}");
                if (!allowed && !body.Contains(scope, StringComparison.Ordinal))
                    failures.Add($"{route} with a {name} key: the refusal does not name the '{scope}' scope: {Cut(body)}");
                if (body.Contains(key, StringComparison.Ordinal))
                    failures.Add($"{route} with a {name} key: the answer echoes the key");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} scope failures:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task The_route_listing_states_for_every_route_the_expected_permission_and_the_key_scope_that_grants_it()
    {
        var listed = await DataPlaneRoutes.ListWithPermissionsAsync(host);
        var failures = new List<string>();
        foreach (var (route, scope) in Expected)
        {
            if (!listed.TryGetValue(route, out var declared)) continue; // the coverage test reports it
            var expected = scope == Public ? (null, null)
                : ForwardedToControlPlane.Contains(route) ? (HoneyHive.ServiceDefaults.Auth.Permissions.ProjectsManage, null)
                : (ExpectedPermission(route, scope), scope);
            if (declared != expected) failures.Add($"{route}: listed {declared}, expected {expected}");
        }

        Assert.True(failures.Count == 0, "Routes whose declared permission is not the expected one:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_route_the_data_plane_decides_refuses_an_access_token_exactly_when_its_grants_lack_the_routes_permission()
    {
        var requests = Requests();
        var failures = new List<string>();
        var dataPlane = HoneyHive.ServiceDefaults.Auth.Permissions.All.Where(p => HoneyHive.ServiceDefaults.Auth.Permissions.KeyScopeFor(p) is not null).ToList();

        foreach (var (route, scope) in Expected.Where(e => e.Value != Public && !ForwardedToControlPlane.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!requests.TryGetValue(route, out var send)) continue; // the key test reports it
            var permission = ExpectedPermission(route, scope);
            var also = AlsoRequired.GetValueOrDefault(route, []);
            var only = host.TokenFor(host.A, [permission, .. also]);
            var allBut = host.TokenFor(host.A, dataPlane.Where(p => p != permission));
            foreach (var extra in also)
            {
                var (lacking, lackingBody) = await send(host.TokenFor(host.A, dataPlane.Where(p => p != extra)));
                if (lacking != HttpStatusCode.Forbidden || !lackingBody.Contains(extra, StringComparison.Ordinal))
                    failures.Add($"{route} with a token holding every permission but '{extra}': expected 403 naming it, got {(int)lacking}: {Cut(lackingBody)}");
            }

            var (allowed, allowedBody) = await send(only);
            // B's ids make an allowed call a 404 of the route's own; the project refusal would mean the token was not placed in A.
            if (allowed is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || allowedBody.Contains("Project not found", StringComparison.Ordinal))
                failures.Add($"{route} with a token holding only '{string.Join("', '", [permission, .. also])}': expected to pass the check, got {(int)allowed}: {Cut(allowedBody)}");
            var (refused, refusedBody) = await send(allBut);
            if (refused != HttpStatusCode.Forbidden || !refusedBody.Contains(permission, StringComparison.Ordinal))
                failures.Add($"{route} with a token holding every permission but '{permission}': expected 403 naming it, got {(int)refused}: {Cut(refusedBody)}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} permission failures:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// The permission a route should need, stated by resource apart from the code: events, sessions, charts and exports
    /// are events; datasets, datapoints and test cases datasets; runs experiments; and so on. Reads need :read, the
    /// rest :write; ingestion needs events:ingest, provider secrets secrets:manage.
    /// </summary>
    private static string ExpectedPermission(string route, string scope)
    {
        if (scope == Ingest) return HoneyHive.ServiceDefaults.Auth.Permissions.EventsIngest;
        if (scope == Admin) return HoneyHive.ServiceDefaults.Auth.Permissions.SecretsManage;
        var path = route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        if (path.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile(s => s == "v1").First() is "chat" or "embeddings" or "models" or "model-aliases" or "playground")
            return HoneyHive.ServiceDefaults.Auth.Permissions.LlmInvoke;
        // A project's archive holds its events: restoring writes events back.
        if (path.Contains("/archive/", StringComparison.Ordinal)) return $"events:{(scope == Read ? "read" : "write")}";
        var resource = path.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile(s => s == "v1").First() switch
        {
            // Annotation queues are work on a project's events: read with events:read, changed and scored with events:write.
            // Annotation queues are work on a project's events; an alert's transitions are judgements of them.
            "events" or "session" or "sessions" or "charts" or "queues" or "alerts" => "events",
            "datasets" or "datapoints" => "datasets",
            "runs" or "experiments" => "experiments",
            "metrics" => "metrics",
            "configurations" => "configurations",
            "projects" => "projects",
            var other => throw new InvalidOperationException($"{route}: no expected permission for '{other}'; add the resource here."),
        };
        return $"{resource}:{(scope == Read ? "read" : "write")}";
    }

    [Fact]
    public async Task A_refusal_is_a_problem_naming_the_scope_the_route_needs_and_the_scopes_that_would_do()
    {
        var keys = await KeysAsync();
        using var readOnly = host.Client(host.DataPlaneApi, keys["read-only"]);

        using var response = await readOnly.DeleteAsync(new Uri($"/v1/datasets/{host.OfA.DatasetId}", UriKind.Relative));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("write", problem["required_scope"]?.GetValue<string>());
        Assert.Equal(new[] { "write", "admin" }, problem["accepted_scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains("'write' scope", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_only_key_cannot_delete_a_session_or_a_dataset_nor_overwrite_a_provider_secret()
    {
        var keys = await KeysAsync();
        var a = host.OfA;
        using var owner = host.Api(host.A);
        using var readOnly = host.Client(host.DataPlaneApi, keys["read-only"]);
        var dataset = $"/v1/datasets?dataset_id={a.DatasetId}";
        var secret = $"/v1/provider-secrets/{a.Provider}";
        var before = await ReadAllAsync(owner, [dataset, secret]);

        var attempts = new (HttpMethod Method, string Url, string? Body)[]
        {
            (HttpMethod.Delete, $"/v1/sessions/{a.SessionId}", null),
            (HttpMethod.Delete, $"/v1/datasets/{a.DatasetId}", null),
            (HttpMethod.Delete, $"/v1/datasets?dataset_id={a.DatasetId}", null),
            (HttpMethod.Delete, $"/datasets/{a.DatasetId}", null),
            (HttpMethod.Put, $"/v1/provider-secrets/{a.Provider}", """{"value":"sk-overwritten-by-a-read-only-key"}"""),
            (HttpMethod.Delete, $"/v1/provider-secrets/{a.Provider}", null),
        };
        foreach (var (method, url, body) in attempts)
        {
            var (status, text) = await TenancyHost.SendAsync(readOnly, method, url, body);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {url} with a read-only key: {(int)status} {Cut(text)}");
        }

        // The dataset and the secret read the same; the session (whose roll-up the Writer may still touch) is still there.
        var after = await ReadAllAsync(owner, [dataset, secret]);
        foreach (var url in new[] { dataset, secret })
        {
            Assert.True(before[url].Status == HttpStatusCode.OK, $"{url} was not readable before: {Cut(before[url].Body)}");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before[url].Body), JsonNode.Parse(after[url].Body)),
                $"{url} changed:\n  before {Cut(before[url].Body)}\n  after  {Cut(after[url].Body)}");
        }
        Assert.Contains(a.DatasetId, after[dataset].Body, StringComparison.Ordinal);
        Assert.Contains(a.MaskedSecret, after[secret].Body, StringComparison.Ordinal);
        var (sessionStatus, session) = await TenancyHost.SendAsync(owner, HttpMethod.Get, $"/v1/sessions/{a.SessionId}");
        Assert.Equal(HttpStatusCode.OK, sessionStatus);
        Assert.Contains(a.Marker + "-session", session, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ingest_only_key_reads_no_events_sessions_or_exports_and_can_still_ingest()
    {
        var keys = await KeysAsync();
        var a = host.OfA;
        using var ingestOnly = host.Client(host.DataPlaneApi, keys["ingest-only"]);
        var search = System.Text.Json.JsonSerializer.Serialize(new { filters = new[] { TenancyProbes.Filter("session_id", a.SessionId) } });
        var reads = new (HttpMethod Method, string Url, string? Body)[]
        {
            (HttpMethod.Get, $"/v1/events/{a.EventId}", null),
            (HttpMethod.Get, $"/v1/events/{a.BigEventId}", null),
            (HttpMethod.Post, "/v1/events/search", search),
            (HttpMethod.Post, "/v1/events/export", search),
            (HttpMethod.Post, "/events/export", search),
            (HttpMethod.Get, $"/v1/sessions/{a.SessionId}", null),
            (HttpMethod.Get, "/v1/sessions", null),
            (HttpMethod.Get, $"/v1/events/chart?evaluation_id={a.RunId}", null),
            (HttpMethod.Get, "/v1/datasets", null),
        };
        foreach (var (method, url, body) in reads)
        {
            var (status, text) = await TenancyHost.SendAsync(ingestOnly, method, url, body);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {url} with an ingest-only key: {(int)status} {Cut(text)}");
            Assert.DoesNotContain(a.Marker, text, StringComparison.Ordinal);
        }

        // Ingesting is what the key is for, and the event it sends lands in the project.
        var marker = "scoped" + Guid.NewGuid().ToString("N")[..12];
        var (sent, answer) = await TenancyHost.SendAsync(ingestOnly, HttpMethod.Post, "/v1/events",
            System.Text.Json.JsonSerializer.Serialize(new { event_type = "tool", event_name = marker, inputs = new { q = marker } }));
        Assert.True(sent == HttpStatusCode.OK, $"ingest with an ingest-only key: {(int)sent} {Cut(answer)}");
        var id = JsonNode.Parse(answer)!["event_id"]!.GetValue<string>();
        using var owner = host.Api(host.A);
        var (status2, stored) = await Eventually.ValueAsync(
            async () => await TenancyHost.SendAsync(owner, HttpMethod.Get, $"/v1/events/{id}"),
            r => r.Status == HttpStatusCode.OK, "the ingest-only key's event to be stored");
        Assert.Equal(HttpStatusCode.OK, status2);
        Assert.Contains(marker, stored, StringComparison.Ordinal);
    }

    /// <summary>One request per route; each returns the status and body. Keys are project A's.</summary>
    private Dictionary<string, Func<string, Task<(HttpStatusCode Status, string Body)>>> Requests()
    {
        var requests = new Dictionary<string, Func<string, Task<(HttpStatusCode, string)>>>(StringComparer.Ordinal);
        void Add(string route, HttpMethod method, string url, string? body, Uri? baseAddress = null, string contentType = "application/json") =>
            requests.TryAdd(route, async key =>
            {
                using var client = host.Client(baseAddress ?? host.DataPlaneApi, key);
                using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
                if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
                using var response = await client.SendAsync(request);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            });

        // B's ids: allowed calls are 404s or empty lists, as the tenancy matrix checks.
        foreach (var probe in TenancyProbes.Foreign(host)) Add(probe.Route, probe.Method, probe.Url, probe.Body);

        // The landing writes carry B's ids into A; sent here they would give A objects that the tenancy matrix
        // then finds. Bodies that create nothing (or only an unnamed object of A's) pass the scope check just as well.
        foreach (var probe in TenancyProbes.Landing(host, "scope-matrix"))
        {
            if (probe.Custom is not null) continue;
            var url = probe.Url.Replace(host.OfB.SessionId, Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace(host.OfB.EventId, Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace(host.OfB.Provider, "scope-matrix-provider", StringComparison.Ordinal);
            Add(probe.Route, probe.Method, url, probe.Method == HttpMethod.Post && url.EndsWith("/rotate", StringComparison.Ordinal) ? null : "{}");
        }
        requests.TryAdd("POST /opentelemetry.proto.collector.trace.v1.TraceService/Export", ExportEmptyAsync);
        requests.TryAdd("POST /opentelemetry.proto.collector.logs.v1.LogsService/Export", ExportEmptyLogsAsync);

        foreach (var path in new[] { "/health", "/alive" }) Add("* " + path, HttpMethod.Get, path, null);
        Add("GET /internal/routes", HttpMethod.Get, "/internal/routes", null);
        return requests;
    }

    /// <summary>An empty OTLP/gRPC export: PERMISSION_DENIED reads as 403, any other answer as passing the check.</summary>
    private Task<(HttpStatusCode, string)> ExportEmptyAsync(string key) =>
        ExportEmptyAsync(key, async (channel, headers) => (await new TraceService.TraceServiceClient(channel).ExportAsync(new ExportTraceServiceRequest(), headers)).ToString());

    private Task<(HttpStatusCode, string)> ExportEmptyLogsAsync(string key) =>
        ExportEmptyAsync(key, async (channel, headers) => (await new OpenTelemetry.Proto.Collector.Logs.V1.LogsService.LogsServiceClient(channel)
            .ExportAsync(new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest(), headers)).ToString());

    private async Task<(HttpStatusCode, string)> ExportEmptyAsync(string key, Func<GrpcChannel, Metadata, Task<string>> export)
    {
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        try
        {
            return (HttpStatusCode.OK, await export(channel, new Metadata { { "authorization", "Bearer " + key } }));
        }
        catch (RpcException e)
        {
            return (e.StatusCode switch
            {
                StatusCode.PermissionDenied => HttpStatusCode.Forbidden,
                StatusCode.Unauthenticated => HttpStatusCode.Unauthorized,
                _ => HttpStatusCode.InternalServerError,
            }, e.Status.Detail);
        }
    }

    private static Dictionary<string, string> BuildExpected()
    {
        var routes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["* /health"] = Public,
            ["* /alive"] = Public,
            ["GET /internal/routes"] = Public,

            ["GET /v1/projects"] = Read,
            ["GET /projects"] = Read,
            // Forwarded to the control plane, which checks the admin scope (projects:manage for a token).
            ["POST /v1/projects"] = Admin,
            ["PUT /v1/projects"] = Admin,
            ["DELETE /v1/projects"] = Admin,
            ["POST /projects"] = Admin,
            ["PUT /projects"] = Admin,
            ["DELETE /projects"] = Admin,

            ["POST /v1/events/search"] = Read,
            ["POST /v1/events/export"] = Read,
            ["POST /events/export"] = Read,
            ["GET /v1/events/chart"] = Read,
            ["GET /v1/events/schema"] = Read,
            ["GET /v1/events/{event_id}"] = Read,
            ["DELETE /v1/events/{event_id}"] = Write,
            ["GET /events"] = Read,
            ["GET /openapi/v1.json"] = Public,

            ["GET /v1/charts"] = Read,
            ["POST /v1/charts"] = Write,
            ["GET /v1/charts/{chart_id}"] = Read,
            ["PUT /v1/charts/{chart_id}"] = Write,
            ["DELETE /v1/charts/{chart_id}"] = Write,

            // The alert engine's history of an alert: derived from the project's events, read like them.
            ["GET /v1/alerts/{alert_id}/transitions"] = Read,

            // Loading archived days back writes events into the project.
            ["POST /v1/projects/{project_id}/archive/restore"] = Write,
            // The keys that encrypt a project's payloads and archives: managed like provider secrets.
            ["GET /v1/projects/{project_id}/data_keys"] = Admin,
            ["POST /v1/projects/{project_id}/data_keys/rotate"] = Admin,

            ["GET /v1/queues"] = Read,
            ["POST /v1/queues"] = Write,
            ["GET /v1/queues/{queue_id}"] = Read,
            ["PUT /v1/queues/{queue_id}"] = Write,
            ["DELETE /v1/queues/{queue_id}"] = Write,
            ["GET /v1/queues/{queue_id}/items"] = Read,
            ["POST /v1/queues/{queue_id}/items/{event_id}/scores"] = Write,
            ["GET /v1/queues/{queue_id}/progress"] = Read,
            ["GET /v1/queues/{queue_id}/agreement"] = Read,

            ["GET /v1/sessions/{session_id}"] = Read,
            ["GET /session/{session_id}"] = Read,
            ["DELETE /v1/sessions/{session_id}"] = Write,
            ["POST /v1/sessions/search"] = Read,
            ["GET /v1/sessions"] = Read,

            ["GET /v1/metrics"] = Read,
            ["POST /v1/metrics"] = Write,
            ["PUT /v1/metrics"] = Write,
            ["DELETE /v1/metrics"] = Write,
            ["GET /v1/metrics/{metric_id}"] = Read,
            ["PUT /v1/metrics/{metric_id}"] = Write,
            ["DELETE /v1/metrics/{metric_id}"] = Write,
            ["GET /v1/metrics/{metric_id}/versions"] = Read,
            ["POST /v1/metrics/{metric_id}/versions"] = Write,
            ["GET /v1/metrics/{metric_id}/versions/{version_name}"] = Read,
            ["POST /v1/metrics/{metric_id}/versions/{version_name}/deploy"] = Write,
            // Running spends the project's compute on the caller's own code: a metric being written or tested.
            ["POST /v1/metrics/run"] = Write,
            ["POST /v1/metrics/run_metric"] = Write,
            ["GET /metrics"] = Read,
            ["POST /metrics"] = Write,
            ["PUT /metrics"] = Write,
            ["DELETE /metrics"] = Write,

            ["GET /v1/configurations"] = Read,
            ["POST /v1/configurations"] = Write,
            ["GET /v1/configurations/{configId}"] = Read,
            ["PUT /v1/configurations/{configId}"] = Write,
            ["DELETE /v1/configurations/{configId}"] = Write,
            ["GET /v1/configurations/{configId}/versions"] = Read,
            ["GET /v1/configurations/{configId}/versions/{version:int}"] = Read,
            ["GET /configurations"] = Read,
            ["POST /configurations"] = Write,
            ["PUT /configurations/{configId}"] = Write,
            ["DELETE /configurations/{configId}"] = Write,

            // Even listing which providers are configured is the workspace admin's business.
            ["GET /v1/provider-secrets"] = Admin,
            ["POST /v1/provider-secrets/rotate"] = Admin,
            ["GET /v1/provider-secrets/{provider}"] = Admin,
            ["PUT /v1/provider-secrets/{provider}"] = Admin,
            ["DELETE /v1/provider-secrets/{provider}"] = Admin,

            // Spends the workspace's provider credit (llm:invoke); also reads the configuration, and writes it to save.
            ["POST /v1/playground/run"] = Write,
            // The LLM proxy: calling models (and reading which aliases exist) is llm:invoke, which write keys hold;
            // deciding where a workspace's calls go is the secrets admin's.
            ["POST /v1/chat/completions"] = Write,
            ["POST /v1/embeddings"] = Write,
            ["GET /v1/models"] = Write,
            ["GET /v1/model-aliases"] = Write,
            ["GET /v1/model-aliases/{name}"] = Write,
            ["PUT /v1/model-aliases/{name}"] = Admin,
            ["DELETE /v1/model-aliases/{name}"] = Admin,

            ["GET /v1/runs/schema"] = Read,
            ["GET /v1/runs/compare/events"] = Read,
            ["GET /v1/runs/{run_id}/summary"] = Read,
            ["GET /v1/runs/{run_id}/metrics"] = Read,
            ["GET /v1/runs/{run_id}/schema"] = Read,
            ["GET /v1/runs/{new_run_id}/compare/{old_run_id}"] = Read,
            ["GET /v1/runs/{new_run_id}/compare/{old_run_id}/events"] = Read,
            // Experiment workflows: starting, cancelling and resuming one writes the run; progress reads it.
            ["POST /v1/runs/{run_id}/evaluate"] = Write,
            ["POST /v1/experiments"] = Write,
            ["GET /v1/experiments/{experiment_id}"] = Read,
            ["POST /v1/experiments/{experiment_id}/cancel"] = Write,
            ["POST /v1/experiments/{experiment_id}/resume"] = Write,

            // Ingestion: event creates and updates go through the message log, as the SDK's tracer sends them.
            ["POST /session/start"] = Ingest,
            ["POST /v1/sessions"] = Ingest,
            ["POST /v1/sessions/{session_id}/events/batch"] = Ingest,
            ["POST /session/{session_id}/traces"] = Ingest,
            ["POST /events"] = Ingest,
            ["POST /v1/events"] = Ingest,
            ["POST /events/batch"] = Ingest,
            ["POST /v1/events/batch"] = Ingest,
            ["POST /events/model"] = Ingest,
            ["POST /events/model/batch"] = Ingest,
            ["PUT /events"] = Ingest,
            ["PUT /v1/events/{event_id}"] = Ingest,
            ["POST /v1/traces"] = Ingest,
            ["POST /opentelemetry/v1/traces"] = Ingest,
            ["POST /opentelemetry.proto.collector.trace.v1.TraceService/Export"] = Ingest,
            ["POST /v1/logs"] = Ingest,
            ["POST /opentelemetry/v1/logs"] = Ingest,
            ["POST /opentelemetry.proto.collector.logs.v1.LogsService/Export"] = Ingest,
        };

        foreach (var prefix in new[] { "/v1/runs", "/runs" })
        {
            routes[$"POST {prefix}"] = Write;
            routes[$"GET {prefix}"] = Read;
            routes[$"GET {prefix}/{{run_id}}"] = Read;
            routes[$"PUT {prefix}/{{run_id}}"] = Write;
            routes[$"DELETE {prefix}/{{run_id}}"] = Write;
            routes[$"GET {prefix}/{{run_id}}/result"] = Read;
            routes[$"GET {prefix}/{{new_run_id}}/compare-with/{{old_run_id}}"] = Read;
        }

        foreach (var prefix in new[] { "/v1", "" })
        {
            routes[$"GET {prefix}/datasets"] = Read;
            routes[$"POST {prefix}/datasets"] = Write;
            routes[$"PUT {prefix}/datasets"] = Write;
            routes[$"DELETE {prefix}/datasets"] = Write;
            routes[$"PUT {prefix}/datasets/{{dataset_id}}"] = Write;
            routes[$"DELETE {prefix}/datasets/{{dataset_id}}"] = Write;
            routes[$"POST {prefix}/datasets/{{dataset_id}}/datapoints"] = Write;
            routes[$"DELETE {prefix}/datasets/{{dataset_id}}/datapoints/{{datapoint_id}}"] = Write;
            routes[$"DELETE {prefix}/datasets/{{dataset_id}}/{{datapoint_id}}"] = Write;
            routes[$"GET {prefix}/datapoints"] = Read;
            routes[$"POST {prefix}/datapoints"] = Write;
            routes[$"POST {prefix}/datapoints/batch"] = Write; // turns events into datapoints
            routes[$"GET {prefix}/datapoints/{{datapoint_id}}"] = Read;
            routes[$"PUT {prefix}/datapoints/{{datapoint_id}}"] = Write;
            routes[$"DELETE {prefix}/datapoints/{{datapoint_id}}"] = Write;
        }

        return routes;
    }

    /// <summary>Project A keys of each kind in <see cref="Keys"/>, created in cpdb and synced to the DP once per Host.</summary>
    private Task<Dictionary<string, string>> KeysAsync() => KeysByHost.GetOrAdd(host, _ => CreateKeysAsync());

    private async Task<Dictionary<string, string>> CreateKeysAsync()
    {
        var keys = Keys.ToDictionary(k => k.Name, _ => ApiKeys.Generate(), StringComparer.Ordinal);
        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            foreach (var (name, scopes, _) in Keys)
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5, $6)", cpdb);
                foreach (var value in new object[] { Guid.NewGuid(), Guid.Parse(host.A.ProjectId), "scope matrix " + name, ApiKeys.DisplayPrefix(keys[name]), ApiKeys.Hash(keys[name]), scopes })
                    insert.Parameters.Add(new NpgsqlParameter { Value = value });
                await insert.ExecuteNonQueryAsync();
            }
        }

        // A key the DP does not know yet answers 401; once synced every one of them answers 200 or 403.
        foreach (var (name, key) in keys)
        {
            using var client = host.Client(host.DataPlaneApi, key);
            await Eventually.ValueAsync(
                async () => (await TenancyHost.SendAsync(client, HttpMethod.Get, "/v1/projects")).Status,
                s => s != HttpStatusCode.Unauthorized, $"the {name} key to reach the data plane");
        }

        return keys;
    }

    private static async Task<Dictionary<string, (HttpStatusCode Status, string Body)>> ReadAllAsync(HttpClient client, IEnumerable<string> urls)
    {
        var result = new Dictionary<string, (HttpStatusCode, string)>(StringComparer.Ordinal);
        foreach (var url in urls) result[url] = await TenancyHost.SendAsync(client, HttpMethod.Get, url);
        return result;
    }

    private static string Cut(string text) => text.Length <= 400 ? text : text[..400] + "...";
}
