using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// Project A's key with project B's ids, on every route the data-plane port serves: B's objects are
/// 404 (or filtered out of lists), no answer holds any of B's ids or markers, writes carrying B's ids
/// land in A, and B's data reads the same before and after.
/// </summary>
[Collection(TenancyCollection.Name)]
public sealed class TenancyMatrixTests(TenancyHost host)
{
    /// <summary>Endpoints on the port that hold no tenant data and cannot be called with ids, and why.</summary>
    private static readonly Dictionary<string, string> NotTenantData = new(StringComparer.Ordinal)
    {
        ["* /opentelemetry.proto.collector.trace.v1.TraceService/{unimplementedMethod:grpcunimplemented}"] =
            "gRPC's UNIMPLEMENTED answer for unknown methods of the trace service",
        ["* /opentelemetry.proto.collector.logs.v1.LogsService/{unimplementedMethod:grpcunimplemented}"] =
            "gRPC's UNIMPLEMENTED answer for unknown methods of the logs service",
    };

    [Fact]
    public async Task Every_data_plane_route_is_in_the_matrix_and_every_matrix_route_exists()
    {
        var served = (await DataPlaneRoutes.ListAsync(host)).Where(r => !NotTenantData.ContainsKey(r)).ToHashSet(StringComparer.Ordinal);
        var covered = TenancyProbes.Foreign(host).Concat(TenancyProbes.Landing(host, "coverage")).Select(p => p.Route).ToHashSet(StringComparer.Ordinal);

        var missing = served.Except(covered).Order(StringComparer.Ordinal).ToList();
        var stale = covered.Except(served).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "Routes the tenancy matrix does not call:\n" + string.Join("\n", missing));
        Assert.True(stale.Count == 0, "Matrix routes the Host does not serve:\n" + string.Join("\n", stale));
        // A sanity floor, so an empty listing cannot pass.
        Assert.True(served.Count > 100, $"Only {served.Count} routes listed.");
    }

    [Fact]
    public async Task Project_A_key_with_project_B_ids_finds_nothing_changes_nothing_and_writes_only_to_A()
    {
        using var a = host.Api(host.A);
        var before = await StableSnapshotOfBAsync();
        var failures = new List<string>();

        foreach (var probe in TenancyProbes.Foreign(host))
            await RunAsync(a, probe, probe.Url + "\n" + probe.Body, failures);

        // Landing writes store what A sent (B's project name in a legacy session, say) in A's own objects,
        // and a later answer about them may show it: what A sent in any earlier landing write is A's own.
        var marker = "aown" + Guid.NewGuid().ToString("N")[..16];
        var sent = new System.Text.StringBuilder();
        foreach (var probe in TenancyProbes.Landing(host, marker))
        {
            sent.Append(probe.Url).Append('\n').Append(probe.Body).Append('\n');
            await RunAsync(a, probe, sent.ToString(), failures);
        }

        // Wait until the Writer stored what A ingested with B's session id: then B's events would show it if it had gone there.
        try
        {
            await Eventually.ValueAsync(
                async () => await CountInAAsync(a, marker),
                n => n >= TenancyProbes.LandingEvents,
                $"A's {TenancyProbes.LandingEvents} ingested events with B's session id to be stored in A");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            failures.Add(e.Message);
        }

        // The update naming b.EventId landed on A's own event of that id: everything before it is handled.
        try
        {
            await Eventually.ValueAsync(
                async () => await TenancyHost.SendAsync(a, HttpMethod.Get, $"/v1/events/{host.OfB.EventId}"),
                r => r.Status == System.Net.HttpStatusCode.OK && r.Body.Contains(marker, StringComparison.Ordinal),
                "A's update of its own event with B's event id to be applied in A");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            failures.Add(e.Message);
        }

        var after = await SnapshotOfBAsync();
        foreach (var (url, was) in before)
            if (!JsonNode.DeepEquals(was, after[url])) failures.Add($"B's {url} changed:\n  before {was?.ToJsonString()}\n  after  {after[url]?.ToJsonString()}");

        Assert.True(failures.Count == 0, $"{failures.Count} tenancy failures:\n" + string.Join("\n\n", failures));
    }

    [Fact]
    public async Task A_token_reaching_only_project_A_with_project_B_ids_finds_nothing_and_changes_nothing()
    {
        // The same Foreign probes as with A's key, now with an access token of a user of A alone (no project header:
        // the token's one project is chosen). B's data reads the same before and after.
        using var a = host.TokenApi(host.A);
        var before = await StableSnapshotOfBAsync();
        var failures = new List<string>();

        foreach (var probe in TenancyProbes.Foreign(host).Where(p => !DataPlaneRoutes.ForwardedToControlPlane.Contains(p.Route)))
            await RunAsync(a, probe, probe.Url + "\n" + probe.Body, failures);

        var after = await SnapshotOfBAsync();
        foreach (var (url, was) in before)
            if (!JsonNode.DeepEquals(was, after[url])) failures.Add($"B's {url} changed:\n  before {was?.ToJsonString()}\n  after  {after[url]?.ToJsonString()}");

        Assert.True(failures.Count == 0, $"{failures.Count} tenancy failures with an access token:\n" + string.Join("\n\n", failures));
    }

    [Fact]
    public async Task A_token_reaching_only_project_A_that_names_project_B_in_the_header_is_404_on_every_route_the_data_plane_decides()
    {
        using var a = host.TokenApi(host.A, project: host.B.ProjectId);
        var before = await StableSnapshotOfBAsync();
        var failures = new List<string>();
        var probes = TenancyProbes.Foreign(host).Concat(TenancyProbes.Landing(host, "header" + Guid.NewGuid().ToString("N")[..12]))
            .Where(p => !DataPlaneRoutes.ForwardedToControlPlane.Contains(p.Route));

        foreach (var probe in probes)
        {
            var (status, body) = probe.Custom is not null
                ? await ExportNamingBAsync()
                : await TenancyHost.SendAsync(a, probe.Method, probe.Url, probe.Body);
            var expected = PublicRoutes.Contains(probe.Route) ? HttpStatusCode.OK : HttpStatusCode.NotFound;
            if (status != expected) failures.Add($"{probe} [{probe.Route}] naming B in the header: expected {(int)expected}, got {(int)status}: {Cut(body)}");
            if (expected == HttpStatusCode.NotFound && !body.Contains("Project not found", StringComparison.Ordinal))
                failures.Add($"{probe} [{probe.Route}]: the 404 is not the project refusal: {Cut(body)}");
            foreach (var secret in ForbiddenStrings().Where(s => s != host.B.ProjectId))
                if (body.Contains(secret, StringComparison.OrdinalIgnoreCase)) failures.Add($"{probe} [{probe.Route}]: the answer holds B's '{secret}': {Cut(body)}");
        }

        var after = await SnapshotOfBAsync();
        foreach (var (url, was) in before)
            if (!JsonNode.DeepEquals(was, after[url])) failures.Add($"B's {url} changed:\n  before {was?.ToJsonString()}\n  after  {after[url]?.ToJsonString()}");

        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n\n", failures));
    }

    /// <summary>Open to anyone (no credentials needed), so a project header changes nothing there.</summary>
    private static readonly HashSet<string> PublicRoutes = new(StringComparer.Ordinal) { "* /health", "* /alive", "GET /internal/routes", "GET /openapi/v1.json" };

    /// <summary>An empty OTLP/gRPC export with A's token naming B: NOT_FOUND reads as 404.</summary>
    private async Task<(HttpStatusCode Status, string Body)> ExportNamingBAsync()
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(host.OtlpGrpc);
        try
        {
            var response = await new OpenTelemetry.Proto.Collector.Trace.V1.TraceService.TraceServiceClient(channel).ExportAsync(
                new OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest(),
                new Grpc.Core.Metadata { { "authorization", "Bearer " + host.TokenFor(host.A) }, { "x-hh-project-id", host.B.ProjectId } });
            return (HttpStatusCode.OK, response.ToString());
        }
        catch (Grpc.Core.RpcException e)
        {
            return (e.StatusCode == Grpc.Core.StatusCode.NotFound ? HttpStatusCode.NotFound : HttpStatusCode.InternalServerError, e.Status.Detail);
        }
    }

    [Fact]
    public async Task A_run_of_A_that_names_B_sessions_events_and_dataset_reads_none_of_them()
    {
        var (b, tb) = (host.OfB, host.B);
        using var a = host.Api(host.A);
        var run = (await TenancyHost.OkAsync(a, HttpMethod.Post, "/v1/runs", new
        {
            name = "a-run-naming-b", session_ids = new[] { b.SessionId }, event_ids = new[] { b.EventId, b.BigEventId },
            dataset_id = b.DatasetId, datapoint_ids = new[] { b.DatapointId },
        }))["run_id"]!.GetValue<string>();
        var own = host.OfA.RunId;
        var reads = new[]
        {
            $"/v1/runs/{run}/result", $"/v1/runs/{run}/summary", $"/v1/runs/{run}/metrics", $"/v1/runs/{run}/schema",
            $"/v1/runs/{run}/compare/{own}", $"/v1/runs/{own}/compare/{run}/events", $"/v1/runs/compare/events?run_id_1={run}&run_id_2={own}",
            $"/runs/{run}/compare-with/{own}", $"/v1/runs/schema?evaluation_id={run}", $"/v1/runs/schema", $"/v1/events/chart?evaluation_id={run}",
            $"/v1/runs?dataset_id={b.DatasetId}",
        };

        foreach (var url in reads)
        {
            var (status, body) = await TenancyHost.SendAsync(a, HttpMethod.Get, url);
            Assert.True(status == HttpStatusCode.OK, $"{url}: {(int)status} {body}");
            foreach (var secret in new[] { b.Marker, tb.WorkspaceId, tb.OrgId, tb.ProjectId, b.MetricId, b.ConfigurationId })
                Assert.False(body.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{url} holds B's '{secret}': {Cut(body)}");
        }
    }

    [Fact]
    public async Task A_forged_payload_reference_to_a_B_object_is_not_followed()
    {
        // The Writer moved B's large inputs to the object store: the key of that object.
        var folder = Path.Combine(host.WorkingDirectory, ".data", "objects");
        var stored = Directory.GetFiles(Path.Combine(folder, "payloads", host.B.ProjectId), "inputs.json", SearchOption.AllDirectories);
        var key = Path.GetRelativePath(folder, Assert.Single(stored)).Replace('\\', '/');
        using var a = host.Api(host.A);
        var reference = System.Text.Json.JsonSerializer.Serialize(new { key, bytes = 100 });
        var forged = (await TenancyHost.OkAsync(a, HttpMethod.Post, "/v1/events", new Dictionary<string, object>
        {
            ["event_type"] = "tool", ["event_name"] = "forged-reference",
            ["inputs"] = new Dictionary<string, string> { ["_hh_payload_ref"] = reference, ["blob"] = "preview" },
        }))["event_id"]!.GetValue<string>();

        var (status, body) = await Eventually.ValueAsync(
            async () => await TenancyHost.SendAsync(a, HttpMethod.Get, $"/v1/events/{forged}"),
            r => r.Status == HttpStatusCode.OK, "A's forged event to be stored");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(host.OfB.Marker, body, StringComparison.Ordinal);
        Assert.Contains("preview", body, StringComparison.Ordinal);
    }

    /// <param name="sent">What A sent: B's strings in it may come back (an id echoed in a 404's detail is not a leak).</param>
    private async Task RunAsync(HttpClient a, Probe probe, string sent, List<string> failures)
    {
        if (probe.Custom is null && !Matches(probe))
        {
            failures.Add($"{probe}: the URL does not match the route {probe.Route}");
            return;
        }

        var (status, body) = probe.Custom is { } custom
            ? await custom()
            : await TenancyHost.SendAsync(a, probe.Method, probe.Url, probe.Body);
        var expected = probe.Expect switch
        {
            Expect.Hidden => HttpStatusCode.NotFound,
            Expect.Refused => HttpStatusCode.BadRequest,
            _ => HttpStatusCode.OK,
        };
        // A create the spec answers with 201 (POST /v1/queues) lands in A just as well.
        if (status != expected && !(probe.Expect == Expect.Own && status == HttpStatusCode.Created))
        {
            failures.Add($"{probe} [{probe.Route}]: expected {(int)expected}, got {(int)status}: {Cut(body)}");
            return;
        }

        foreach (var secret in ForbiddenStrings())
        {
            if (sent.Contains(secret, StringComparison.OrdinalIgnoreCase)) continue;
            if (body.Contains(secret, StringComparison.OrdinalIgnoreCase))
                failures.Add($"{probe} [{probe.Route}]: the answer holds B's '{secret}': {Cut(body)}");
        }

        if (probe.Expect == Expect.Empty)
        {
            var list = probe.Empty!(JsonNode.Parse(body)!);
            if (list is not JsonArray { Count: 0 }) failures.Add($"{probe} [{probe.Route}]: expected an empty list, got {Cut(list?.ToJsonString() ?? "null")}");
        }
    }

    /// <summary>B's ids, names and markers: none may appear in an answer to A.</summary>
    private IEnumerable<string> ForbiddenStrings()
    {
        var (b, tb) = (host.OfB, host.B);
        return
        [
            tb.ProjectId, tb.ProjectName, tb.WorkspaceId, tb.OrgId, b.Marker, b.RunId, b.SessionId, b.EventId, b.BigEventId,
            b.DatasetId, b.DatapointId, b.MetricId, b.ConfigurationId, b.Provider, b.MaskedSecret, b.ChartId, b.QueueId,
        ];
    }

    /// <summary>Whether the probe's path fits its declared pattern, so a typo cannot pass as a 404.</summary>
    private static bool Matches(Probe probe)
    {
        if (probe.MethodName != "*" && !string.Equals(probe.Method.Method, probe.MethodName, StringComparison.Ordinal)) return false;
        var path = probe.Url.Split('?')[0];
        var matcher = new TemplateMatcher(TemplateParser.Parse(probe.Pattern), []);
        return matcher.TryMatch(path, []);
    }

    private async Task<long> CountInAAsync(HttpClient a, string marker)
    {
        var (_, body) = await TenancyHost.SendAsync(a, HttpMethod.Post, "/v1/events/search",
            System.Text.Json.JsonSerializer.Serialize(new { filters = new object[] { TenancyProbes.Filter("event_name", marker), new { field = "event_type", @operator = "is not", value = "session", type = "string" } }, limit = 1 }));
        return JsonNode.Parse(body)?["totalEvents"]?.GetValue<long>() ?? 0;
    }

    /// <summary>B's objects read with B's key (the Writer may still be rolling B's session up: wait until two reads agree).</summary>
    private async Task<Dictionary<string, JsonNode?>> StableSnapshotOfBAsync()
    {
        var previous = await SnapshotOfBAsync();
        for (var i = 0; i < 60; i++)
        {
            await Task.Delay(500);
            var current = await SnapshotOfBAsync();
            if (previous.All(p => JsonNode.DeepEquals(p.Value, current[p.Key]))) return current;
            previous = current;
        }

        throw new InvalidOperationException("B's data kept changing without anyone writing to it.");
    }

    private async Task<Dictionary<string, JsonNode?>> SnapshotOfBAsync()
    {
        var b = host.OfB;
        using var client = host.Api(host.B);
        var reads = new[]
        {
            $"/v1/projects", $"/v1/sessions/{b.SessionId}", $"/v1/sessions", $"/v1/events/{b.EventId}", $"/v1/events/{b.BigEventId}",
            $"/v1/datasets", $"/v1/datapoints", $"/v1/datapoints/{b.DatapointId}", $"/v1/metrics", $"/v1/metrics/{b.MetricId}/versions",
            $"/v1/configurations", $"/v1/configurations/{b.ConfigurationId}/versions", $"/v1/runs", $"/v1/runs/{b.RunId}",
            $"/v1/runs/{b.RunId}/result", $"/v1/provider-secrets", $"/v1/provider-secrets/{b.Provider}", $"/v1/events/schema",
            $"/v1/charts", $"/v1/charts/{b.ChartId}", $"/v1/alerts/{b.AlertId}/transitions", $"/session/{b.SessionId}", $"/v1/model-aliases", $"/v1/model-aliases/{b.AliasName}",
            $"/v1/queues", $"/v1/queues/{b.QueueId}", $"/v1/queues/{b.QueueId}/items", $"/v1/queues/{b.QueueId}/progress",
            $"/v1/experiments/{b.RunId}",
        };
        var snapshot = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var url in reads)
        {
            var (status, body) = await TenancyHost.SendAsync(client, HttpMethod.Get, url);
            snapshot[url] = status == HttpStatusCode.OK ? JsonNode.Parse(body) : JsonValue.Create($"{(int)status}");
        }

        var (_, search) = await TenancyHost.SendAsync(client, HttpMethod.Post, "/v1/events/search",
            System.Text.Json.JsonSerializer.Serialize(new { filters = new[] { TenancyProbes.Filter("session_id", b.SessionId) } }));
        snapshot["POST /v1/events/search session_id"] = JsonNode.Parse(search);
        return snapshot;
    }

    private static string Cut(string text) => text.Length <= 600 ? text : text[..600] + "...";
}
