using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// A Host whose overrides apply at once (no cache) and whose API keys may make 30 requests a minute by default; ingestion's
/// default rate stays far above what the tests send, so only the overrides the tests set refuse anything.
/// </summary>
public sealed class HostWithQuotas : HostProcess
{
    public HostWithQuotas()
    {
        ExtraEnvironment["Quotas__OverrideCacheDuration"] = "00:00:00";
        ExtraEnvironment["Quotas__ApiRequestsPerMinute"] = "30";
        ExtraEnvironment["Quotas__IngestSpansPerSecond"] = "100000";
    }
}

/// <summary>
/// Quotas through the real Host: the answers over a quota in each protocol's own format, per-key request rates on the
/// DP API, a flooding project next to a quiet one, and an override set on the CP's route reaching the DP's checks.
/// </summary>
public sealed class QuotaTests(HostWithQuotas host) : IClassFixture<HostWithQuotas>
{
    /// <summary>Sets a project's override in cpdb (as the CP's route does, updated_at included) and waits until dpdb has it.</summary>
    private async Task OverrideAsync(string projectId, string column, long? value)
    {
        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
            await cpdb.ExecuteAsync($"UPDATE projects SET {column} = @value, updated_at = now() WHERE id = @id", new { value, id = Guid.Parse(projectId) });
        await WaitSyncedAsync(projectId, column, value);
    }

    private async Task WaitSyncedAsync(string projectId, string column, long? value)
    {
        await Eventually.ValueAsync(
            async () =>
            {
                await using var dpdb = new NpgsqlConnection(host.DpdbConnectionString);
                return await dpdb.ExecuteScalarAsync<long?>($"SELECT {column} FROM projects WHERE id = @id", new { id = Guid.Parse(projectId) });
            },
            synced => synced == value, $"{column} = {value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} to reach dpdb");
    }

    private static ExportTraceServiceRequest Spans(int count, string name)
    {
        var scope = new ScopeSpans();
        var traceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        for (var i = 0; i < count; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = traceId,
                SpanId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()[..8]),
                Name = name,
                StartTimeUnixNano = 1_700_000_000_000_000_000,
                EndTimeUnixNano = 1_700_000_000_100_000_000,
            });
        }
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    private static void AssertRetryAfterSane(HttpResponseMessage response, int atMost)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { } wait && wait >= TimeSpan.FromSeconds(1) && wait <= TimeSpan.FromSeconds(atMost),
            $"Retry-After {retryAfter} is not between 1 and {atMost} s");
    }

    private static void AssertQuotaStatus(Google.Rpc.Status status, string projectId, string limit)
    {
        Assert.Equal((int)Code.ResourceExhausted, status.Code);
        Assert.Contains(projectId, status.Message, StringComparison.Ordinal);
        var retry = Assert.Single(status.Details, d => d.Is(RetryInfo.Descriptor)).Unpack<RetryInfo>();
        Assert.True(retry.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));
        var error = Assert.Single(status.Details, d => d.Is(ErrorInfo.Descriptor)).Unpack<ErrorInfo>();
        Assert.Equal(limit, error.Metadata["limit"]);
        Assert.Equal(projectId, error.Metadata["project_id"]);
    }

    [Fact]
    public async Task Over_its_rate_a_project_is_answered_429_with_Retry_After_in_OTLP_protobuf_JSON_gRPC_and_the_event_APIs_format()
    {
        var (key, projectId) = await OtherProject.CreateAsync(host);
        await OverrideAsync(projectId, "ingest_spans_per_second", 1);
        using var otlp = host.Client(host.OtlpHttp, key);

        // The bucket holds one span; a full bucket admits one batch of 50 whole and is 49 spans in debt: 49 s of refusals.
        using (var first = await OtlpIngestionTests.PostProtobufAsync(otlp, Spans(50, "first").ToByteArray()))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using (var protobuf = await OtlpIngestionTests.PostProtobufAsync(otlp, Spans(5, "protobuf").ToByteArray()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, protobuf.StatusCode);
            AssertRetryAfterSane(protobuf, 50);
            Assert.Equal("application/x-protobuf", protobuf.Content.Headers.ContentType?.MediaType);
            AssertQuotaStatus(Google.Rpc.Status.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync()), projectId, "ingest_spans_per_second");
        }

        var json = new StringContent(OtlpJsonSpans(5), Encoding.UTF8);
        json.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using (var answer = await otlp.PostAsync(new Uri("/v1/traces", UriKind.Relative), json))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
            AssertRetryAfterSane(answer, 50);
            Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
            var body = await answer.Content.ReadAsStringAsync();
            var parsed = new JsonParser(JsonParser.Settings.Default.WithTypeRegistry(
                Google.Protobuf.Reflection.TypeRegistry.FromMessages(RetryInfo.Descriptor, ErrorInfo.Descriptor))).Parse<Google.Rpc.Status>(body);
            AssertQuotaStatus(parsed, projectId, "ingest_spans_per_second");
        }

        using (var channel = GrpcChannel.ForAddress(host.OtlpGrpc))
        {
            var client = new TraceService.TraceServiceClient(channel);
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                await client.ExportAsync(Spans(5, "grpc"), new Metadata { { "authorization", "Bearer " + key } }));
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            AssertQuotaStatus(refused.GetRpcStatus()!, projectId, "ingest_spans_per_second");
        }

        using var api = host.Client(host.DataPlaneApi, key);
        using (var events = await api.PostAsJsonAsync(new Uri("/v1/events", UriKind.Relative), new { event_type = "tool", event_name = "over", inputs = new { } }))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, events.StatusCode);
            AssertRetryAfterSane(events, 50);
            Assert.Equal("application/problem+json", events.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await events.Content.ReadAsStringAsync())!;
            Assert.Equal(429, problem["status"]!.GetValue<int>());
            Assert.Equal("ingest_spans_per_second", problem["limit"]!.GetValue<string>());
            Assert.Equal(projectId, problem["project_id"]!.GetValue<string>());
            Assert.Contains("per second", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    /// <summary>An OTLP/JSON trace request as exporters write it (ids in hex, not protobuf JSON's base64).</summary>
    private static string OtlpJsonSpans(int count)
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var spans = Enumerable.Range(0, count).Select(_ => new JsonObject
        {
            ["traceId"] = traceId,
            ["spanId"] = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]),
            ["name"] = "json",
            ["startTimeUnixNano"] = "1700000000000000000",
            ["endTimeUnixNano"] = "1700000000100000000",
        });
        return new JsonObject
        {
            ["resourceSpans"] = new JsonArray(new JsonObject { ["scopeSpans"] = new JsonArray(new JsonObject { ["spans"] = new JsonArray([.. spans]) }) }),
        }.ToJsonString();
    }

    [Fact]
    public async Task Over_its_request_rate_an_API_key_is_answered_429_problem_details_naming_the_limit_and_project()
    {
        var (key, projectId) = await OtherProject.CreateAsync(host);
        await OverrideAsync(projectId, "api_requests_per_minute", 2);
        using var api = host.Client(host.DataPlaneApi, key);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 4 && refused is null; i++)
        {
            var response = await api.GetAsync(new Uri("/v1/projects", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else response.Dispose();
        }

        Assert.True(refused is not null, "never refused: " + string.Join(", ", statuses));
        using (refused)
        {
            AssertRetryAfterSane(refused, 30);
            var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Equal("api_requests_per_minute", problem["limit"]!.GetValue<string>());
            Assert.Equal(projectId, problem["project_id"]!.GetValue<string>());
        }
        // Ingestion is counted by items, not by this budget: the same key still sends spans.
        using var otlp = host.Client(host.OtlpHttp, key);
        using var sent = await OtlpIngestionTests.PostProtobufAsync(otlp, Spans(3, "still-ingesting").ToByteArray());
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
    }

    [Fact]
    public async Task While_one_project_floods_past_its_limit_the_other_projects_requests_are_all_accepted()
    {
        var (floodKey, floodProject) = await OtherProject.CreateAsync(host);
        var (quietKey, _) = await OtherProject.CreateAsync(host);
        await OverrideAsync(floodProject, "ingest_spans_per_second", 20);
        using var flood = host.Client(host.OtlpHttp, floodKey);
        using var quiet = host.Client(host.OtlpHttp, quietKey);

        var floodStatuses = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, TimeSpan? RetryAfter)>();
        var quietAnswers = new List<(HttpStatusCode Status, long Rejected)>();
        using var stop = new CancellationTokenSource();
        var flooders = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var body = Spans(20, "flood").ToByteArray();
            while (!stop.IsCancellationRequested)
            {
                using var response = await OtlpIngestionTests.PostProtobufAsync(flood, body);
                floodStatuses.Add((response.StatusCode, response.Headers.RetryAfter?.Delta));
            }
        })).ToList();

        for (var i = 0; i < 40; i++)
        {
            using var response = await OtlpIngestionTests.PostProtobufAsync(quiet, Spans(5, "quiet").ToByteArray());
            var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
            quietAnswers.Add((response.StatusCode, answer.PartialSuccess?.RejectedSpans ?? 0));
            await Task.Delay(20);
        }
        await stop.CancelAsync();
        await Task.WhenAll(flooders);

        Assert.All(quietAnswers, a => Assert.Equal((HttpStatusCode.OK, 0L), a));
        var refused = floodStatuses.Where(s => s.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1)));
        Assert.All(floodStatuses, s => Assert.Contains(s.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
    }

    [Fact]
    public async Task An_override_set_on_the_CP_project_quotas_route_is_validated_audited_and_enforced_on_the_DP()
    {
        var bootstrap = host.ReadBootstrap();
        var projectId = host.ProjectId;
        using var cp = host.Client(host.ControlPlaneApi);
        var login = await cp.PostAsJsonAsync(new Uri("/v1/auth/login", UriKind.Relative),
            new { email = bootstrap.GetProperty("admin_email").GetString(), password = bootstrap.GetProperty("admin_password").GetString() });
        var token = JsonNode.Parse(await login.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        cp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var route = new Uri($"/v1/projects/{projectId}/quotas", UriKind.Relative);

        using (var negative = await cp.PutAsJsonAsync(route, new { ingest_spans_per_second = -5 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
            Assert.Equal("ingest_spans_per_second", JsonNode.Parse(await negative.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
        }
        using (var unknown = await cp.PutAsJsonAsync(route, new { spans = 5 }))
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using (var set = await cp.PutAsJsonAsync(route, new { ingest_spans_per_second = 1 }))
        {
            var body = JsonNode.Parse(await set.Content.ReadAsStringAsync())!;
            Assert.True(set.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal(1, body["data"]!["ingest_spans_per_second"]!.GetValue<long>());
            Assert.Null(body["data"]!["ingest_spans_per_day"]);
        }
        var read = JsonNode.Parse(await (await cp.GetAsync(route)).EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
        Assert.Equal(1, read["data"]!["ingest_spans_per_second"]!.GetValue<long>());
        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            var audited = await cpdb.ExecuteScalarAsync<string>(
                "SELECT after::text FROM audit_log WHERE action = 'project.quotas_updated' AND target_id = @projectId ORDER BY at DESC LIMIT 1", new { projectId });
            Assert.Contains("\"ingest_spans_per_second\": 1", audited ?? "", StringComparison.Ordinal);
        }

        // The controllers' stream carries it to dpdb, and the DP's check refuses once the one-span bucket is spent.
        await WaitSyncedAsync(projectId, "ingest_spans_per_second", 1);
        using var otlp = host.Client(host.OtlpHttp, host.ApiKey);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await OtlpIngestionTests.PostProtobufAsync(otlp, Spans(10, "capped").ToByteArray());
            statuses.Add(response.StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        // Back to the default: accepted again.
        using (var cleared = await cp.PutAsJsonAsync(route, new { ingest_spans_per_second = (long?)null }))
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        await WaitSyncedAsync(projectId, "ingest_spans_per_second", null);
        using var after = await OtlpIngestionTests.PostProtobufAsync(otlp, Spans(10, "uncapped").ToByteArray());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
