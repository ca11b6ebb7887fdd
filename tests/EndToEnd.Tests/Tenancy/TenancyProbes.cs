using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>
/// The tenancy matrix: for every route of the data-plane port, calls with project A's key that name
/// project B's ids in the path, the query or the body. <see cref="Foreign"/> must find nothing and
/// change nothing; <see cref="Landing"/> writes (creates and ingestion) carry B's ids and must land in A.
/// </summary>
public static class TenancyProbes
{
    /// <summary>
    /// A span start a minute ago, in Unix nanoseconds: probes ingest recent data, so the reads' default window of the
    /// last 7 days holds it and an isolation failure cannot hide behind a time filter.
    /// </summary>
    private static ulong RecentNanos() => (ulong)(DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds() * 1_000_000);

    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    /// <summary>Reads, updates and deletes of B's objects, and lists filtered by B's ids. Run before <see cref="Landing"/>, which gives A objects with B's ids.</summary>
    public static IReadOnlyList<Probe> Foreign(TenancyHost host)
    {
        var (a, b, tb) = (host.OfA, host.OfB, host.B);
        var bySession = Json(new { filters = new[] { Filter("session_id", b.SessionId) }, project = tb.ProjectId });
        var byEvent = Json(new { filters = new[] { Filter("event_id", b.EventId) }, project = tb.ProjectId });
        var probes = new List<Probe>
        {
            new("* /health", Expect.Open, Get, "/health"),
            new("* /alive", Expect.Open, Get, "/alive"),
            new("GET /internal/routes", Expect.Open, Get, "/internal/routes"),
            new("GET /openapi/v1.json", Expect.Open, Get, "/openapi/v1.json"),

            new("GET /v1/projects", Expect.Empty, Get, $"/v1/projects?name={tb.ProjectName}", Empty: j => j),
            new("GET /v1/projects", Expect.Open, Get, "/v1/projects"),
            new("GET /projects", Expect.Empty, Get, $"/projects?name={tb.ProjectName}", Empty: j => j),
            // Answered by the CP: A's admin key acts in A's workspace only, where B's project does not exist.
            new("PUT /v1/projects", Expect.Hidden, Put, "/v1/projects", Json(new { name = tb.ProjectName, new_name = "hijacked" })),
            new("PUT /projects", Expect.Hidden, Put, "/projects", Json(new { name = tb.ProjectName, description = "hijacked" })),
            new("DELETE /v1/projects", Expect.Hidden, Delete, $"/v1/projects?name={tb.ProjectName}"),
            new("DELETE /projects", Expect.Hidden, Delete, $"/projects?name={tb.ProjectName}"),
            new("DELETE /v1/projects", Expect.Hidden, Delete, $"/v1/projects?name={tb.ProjectName}&workspace_id={tb.WorkspaceId}"),

            new("POST /v1/events/search", Expect.Empty, Post, "/v1/events/search", bySession, j => j["events"]),
            new("POST /v1/events/search", Expect.Empty, Post, "/v1/events/search", byEvent, j => j["events"]),
            new("POST /v1/events/export", Expect.Empty, Post, "/v1/events/export", bySession, j => j["events"]),
            new("POST /events/export", Expect.Empty, Post, "/events/export", byEvent, j => j["events"]),
            new("GET /v1/events/chart", Expect.Empty, Get, $"/v1/events/chart?evaluation_id={b.RunId}", Empty: j => j["events"]),
            new("GET /v1/events/chart", Expect.Empty, Get, $"/v1/events/chart?filters={Uri.EscapeDataString(Json(new[] { Filter("session_id", b.SessionId) }))}", Empty: j => j["events"]),
            new("GET /v1/events/schema", Expect.Open, Get, "/v1/events/schema"),
            new("GET /v1/events/{event_id}", Expect.Hidden, Get, $"/v1/events/{b.EventId}"),
            new("GET /v1/events/{event_id}", Expect.Hidden, Get, $"/v1/events/{b.BigEventId}"),
            // Before Landing, which gives A an event of b.EventId's id: here A has none, so B's is not A's to delete.
            new("DELETE /v1/events/{event_id}", Expect.Hidden, Delete, $"/v1/events/{b.EventId}"),
            new("DELETE /v1/events/{event_id}", Expect.Hidden, Delete, $"/v1/events/{b.BigEventId}"),
            new("GET /events", Expect.Empty, Get, $"/events?filters={Uri.EscapeDataString(Json(new[] { Filter("session_id", b.SessionId) }))}", Empty: j => j["events"]),
            new("GET /events", Expect.Empty, Get, $"/events?evaluation_id={b.RunId}", Empty: j => j["events"]),

            new("GET /v1/sessions/{session_id}", Expect.Hidden, Get, $"/v1/sessions/{b.SessionId}"),
            new("GET /session/{session_id}", Expect.Hidden, Get, $"/session/{b.SessionId}"),
            new("DELETE /v1/sessions/{session_id}", Expect.Hidden, Delete, $"/v1/sessions/{b.SessionId}"),
            new("POST /v1/sessions/search", Expect.Empty, Post, "/v1/sessions/search", bySession, j => j["sessions"]),
            new("GET /v1/sessions", Expect.Open, Get, "/v1/sessions"),

            new("GET /v1/metrics", Expect.Empty, Get, $"/v1/metrics?id={b.MetricId}", Empty: j => j["metrics"]),
            new("PUT /v1/metrics", Expect.Hidden, Put, "/v1/metrics", Json(new { id = b.MetricId, description = "hijacked" })),
            new("DELETE /v1/metrics", Expect.Hidden, Delete, $"/v1/metrics?metric_id={b.MetricId}"),
            new("GET /v1/metrics/{metric_id}", Expect.Hidden, Get, $"/v1/metrics/{b.MetricId}"),
            new("PUT /v1/metrics/{metric_id}", Expect.Hidden, Put, $"/v1/metrics/{b.MetricId}", Json(new { description = "hijacked" })),
            new("DELETE /v1/metrics/{metric_id}", Expect.Hidden, Delete, $"/v1/metrics/{b.MetricId}"),
            new("GET /v1/metrics/{metric_id}/versions", Expect.Hidden, Get, $"/v1/metrics/{b.MetricId}/versions"),
            new("POST /v1/metrics/{metric_id}/versions", Expect.Hidden, Post, $"/v1/metrics/{b.MetricId}/versions",
                Json(new { message = "hijacked", deploy_immediately = true, content = new { name = "hijacked", type = "PYTHON", criteria = "def metric(event):\n    return 0" } })),
            new("GET /v1/metrics/{metric_id}/versions/{version_name}", Expect.Hidden, Get, $"/v1/metrics/{b.MetricId}/versions/1"),
            new("POST /v1/metrics/{metric_id}/versions/{version_name}/deploy", Expect.Hidden, Post, $"/v1/metrics/{b.MetricId}/versions/1/deploy"),
            // Scoring B's event by its id: 404 before any code runs, and the answer holds nothing of B's. (Not b.EventId:
            // Landing gives A an event of that id, which A may score.)
            new("POST /v1/metrics/run", Expect.Hidden, Post, "/v1/metrics/run", RunOn(b.BigEventId)),
            new("POST /v1/metrics/run_metric", Expect.Hidden, Post, "/v1/metrics/run_metric", RunOn(b.BigEventId)),
            new("GET /metrics", Expect.Open, Get, "/metrics"),
            new("PUT /metrics", Expect.Hidden, Put, "/metrics", Json(new { metric_id = b.MetricId, description = "hijacked" })),
            new("DELETE /metrics", Expect.Hidden, Delete, $"/metrics?metric_id={b.MetricId}"),

            new("GET /v1/configurations", Expect.Empty, Get, $"/v1/configurations?name={b.ConfigurationName}", Empty: j => j["configurations"]),
            new("GET /v1/configurations", Expect.Empty, Get, $"/v1/configurations?tags={b.Marker}", Empty: j => j["configurations"]),
            new("GET /v1/configurations/{configId}", Expect.Hidden, Get, $"/v1/configurations/{b.ConfigurationId}"),
            new("PUT /v1/configurations/{configId}", Expect.Hidden, Put, $"/v1/configurations/{b.ConfigurationId}", Json(new { name = "hijacked" })),
            new("DELETE /v1/configurations/{configId}", Expect.Hidden, Delete, $"/v1/configurations/{b.ConfigurationId}"),
            new("GET /v1/configurations/{configId}/versions", Expect.Hidden, Get, $"/v1/configurations/{b.ConfigurationId}/versions"),
            new("GET /v1/configurations/{configId}/versions/{version:int}", Expect.Hidden, Get, $"/v1/configurations/{b.ConfigurationId}/versions/1"),
            new("GET /configurations", Expect.Empty, Get, $"/configurations?name={b.ConfigurationName}", Empty: j => j),
            new("PUT /configurations/{configId}", Expect.Hidden, Put, $"/configurations/{b.ConfigurationId}", Json(new { name = "hijacked", project = tb.ProjectId })),
            new("DELETE /configurations/{configId}", Expect.Hidden, Delete, $"/configurations/{b.ConfigurationId}"),

            new("GET /v1/charts", Expect.Open, Get, "/v1/charts"),
            new("GET /v1/queues", Expect.Open, Get, "/v1/queues"),
            new("GET /v1/queues/{queue_id}", Expect.Hidden, Get, $"/v1/queues/{b.QueueId}"),
            new("PUT /v1/queues/{queue_id}", Expect.Hidden, Put, $"/v1/queues/{b.QueueId}", Json(new { id = b.QueueId, name = "hijacked" })),
            new("DELETE /v1/queues/{queue_id}", Expect.Hidden, Delete, $"/v1/queues/{b.QueueId}"),
            new("GET /v1/queues/{queue_id}/items", Expect.Hidden, Get, $"/v1/queues/{b.QueueId}/items"),
            new("POST /v1/queues/{queue_id}/items/{event_id}/scores", Expect.Hidden, Post, $"/v1/queues/{b.QueueId}/items/{b.EventId}/scores",
                Json(new { metric = b.MetricName, value = 1 })),
            new("GET /v1/queues/{queue_id}/progress", Expect.Hidden, Get, $"/v1/queues/{b.QueueId}/progress"),
            new("GET /v1/queues/{queue_id}/agreement", Expect.Hidden, Get, $"/v1/queues/{b.QueueId}/agreement?metric={b.MetricName}&judge={b.MetricName}"),
            new("GET /v1/charts/{chart_id}", Expect.Hidden, Get, $"/v1/charts/{b.ChartId}"),
            new("PUT /v1/charts/{chart_id}", Expect.Hidden, Put, $"/v1/charts/{b.ChartId}", Json(new { name = "hijacked" })),
            new("DELETE /v1/charts/{chart_id}", Expect.Hidden, Delete, $"/v1/charts/{b.ChartId}"),
            new("GET /v1/alerts/{alert_id}/transitions", Expect.Hidden, Get, $"/v1/alerts/{b.AlertId}/transitions"),
            // Restoring B's archive into the event store: A may restore its own project only.
            new("POST /v1/projects/{project_id}/archive/restore", Expect.Hidden, Post, $"/v1/projects/{tb.ProjectId}/archive/restore",
                Json(new { from = "2020-01-01", to = "2020-01-02" })),
            // B's data keys: A's admin key neither lists nor rotates them.
            new("GET /v1/projects/{project_id}/data_keys", Expect.Hidden, Get, $"/v1/projects/{tb.ProjectId}/data_keys"),
            new("POST /v1/projects/{project_id}/data_keys/rotate", Expect.Hidden, Post, $"/v1/projects/{tb.ProjectId}/data_keys/rotate"),

            // Running (and saving) B's configuration: not found for A, and no version is added to it (B's snapshot).
            new("POST /v1/playground/run", Expect.Hidden, Post, "/v1/playground/run",
                Json(new { configuration_id = b.ConfigurationId, save = true, inputs = new { }, model = "openai/gpt-4o-mini" })),

            new("GET /v1/provider-secrets", Expect.Open, Get, "/v1/provider-secrets"),
            new("GET /v1/provider-secrets/{provider}", Expect.Hidden, Get, $"/v1/provider-secrets/{b.Provider}"),
            new("DELETE /v1/provider-secrets/{provider}", Expect.Hidden, Delete, $"/v1/provider-secrets/{b.Provider}"),

            // The LLM proxy: B's provider key and B's alias are not A's to call, list or change.
            new("POST /v1/chat/completions", Expect.Refused, Post, "/v1/chat/completions", Json(new { model = $"{b.Provider}/gpt-4o", messages = new[] { new { role = "user", content = "hi" } } })),
            new("POST /v1/chat/completions", Expect.Refused, Post, "/v1/chat/completions", Json(new { model = b.AliasName, messages = new[] { new { role = "user", content = "hi" } } })),
            new("POST /v1/embeddings", Expect.Refused, Post, "/v1/embeddings", Json(new { model = $"{b.Provider}/text-embedding-3-small", input = "hi" })),
            new("GET /v1/models", Expect.Open, Get, "/v1/models"),
            new("GET /v1/model-aliases", Expect.Open, Get, "/v1/model-aliases"),
            new("GET /v1/model-aliases/{name}", Expect.Hidden, Get, $"/v1/model-aliases/{b.AliasName}"),
            new("DELETE /v1/model-aliases/{name}", Expect.Hidden, Delete, $"/v1/model-aliases/{b.AliasName}"),

            new("GET /v1/runs/schema", Expect.Open, Get, "/v1/runs/schema"),
            new("GET /v1/runs/schema", Expect.Hidden, Get, $"/v1/runs/schema?evaluation_id={b.RunId}"),
            new("GET /v1/runs/compare/events", Expect.Hidden, Get, $"/v1/runs/compare/events?run_id_1={a.RunId}&run_id_2={b.RunId}"),
            new("GET /v1/runs/{run_id}/summary", Expect.Hidden, Get, $"/v1/runs/{b.RunId}/summary"),
            new("GET /v1/runs/{run_id}/metrics", Expect.Hidden, Get, $"/v1/runs/{b.RunId}/metrics"),
            new("GET /v1/runs/{run_id}/schema", Expect.Hidden, Get, $"/v1/runs/{b.RunId}/schema"),
            new("GET /v1/runs/{new_run_id}/compare/{old_run_id}", Expect.Hidden, Get, $"/v1/runs/{b.RunId}/compare/{a.RunId}"),
            new("GET /v1/runs/{new_run_id}/compare/{old_run_id}/events", Expect.Hidden, Get, $"/v1/runs/{a.RunId}/compare/{b.RunId}/events"),

            // Experiment workflows: B's run, dataset, configuration and metric are unknown to A, and nothing starts.
            new("POST /v1/runs/{run_id}/evaluate", Expect.Hidden, Post, $"/v1/runs/{b.RunId}/evaluate", Json(new { metrics = new[] { a.MetricId } })),
            new("POST /v1/runs/{run_id}/evaluate", Expect.Hidden, Post, $"/v1/runs/{a.RunId}/evaluate", Json(new { metrics = new[] { b.MetricId } })),
            new("POST /v1/experiments", Expect.Hidden, Post, "/v1/experiments",
                Json(new { name = "x", dataset_id = b.DatasetId, configuration_id = a.ConfigurationId, metrics = new[] { a.MetricId } })),
            new("POST /v1/experiments", Expect.Hidden, Post, "/v1/experiments",
                Json(new { name = "x", dataset_id = a.DatasetId, configuration_id = b.ConfigurationId, metrics = new[] { a.MetricId } })),
            new("POST /v1/experiments", Expect.Hidden, Post, "/v1/experiments",
                Json(new { name = "x", dataset_id = a.DatasetId, configuration_id = a.ConfigurationId, metrics = new[] { b.MetricId } })),
            new("GET /v1/experiments/{experiment_id}", Expect.Hidden, Get, $"/v1/experiments/{b.RunId}"),
            new("POST /v1/experiments/{experiment_id}/cancel", Expect.Hidden, Post, $"/v1/experiments/{b.RunId}/cancel"),
            new("POST /v1/experiments/{experiment_id}/resume", Expect.Hidden, Post, $"/v1/experiments/{b.RunId}/resume"),
        };

        foreach (var prefix in new[] { "/v1/runs", "/runs" })
        {
            probes.AddRange(
            [
                new($"GET {prefix}", Expect.Empty, Get, $"{prefix}?run_ids={b.RunId}", Empty: j => j["evaluations"]),
                new($"GET {prefix}", Expect.Empty, Get, $"{prefix}?dataset_id={b.DatasetId}", Empty: j => j["evaluations"]),
                new($"GET {prefix}/{{run_id}}", Expect.Hidden, Get, $"{prefix}/{b.RunId}"),
                new($"PUT {prefix}/{{run_id}}", Expect.Hidden, Put, $"{prefix}/{b.RunId}", Json(new { name = "hijacked", status = "failed" })),
                new($"DELETE {prefix}/{{run_id}}", Expect.Hidden, Delete, $"{prefix}/{b.RunId}"),
                new($"GET {prefix}/{{run_id}}/result", Expect.Hidden, Get, $"{prefix}/{b.RunId}/result"),
                new($"GET {prefix}/{{new_run_id}}/compare-with/{{old_run_id}}", Expect.Hidden, Get, $"{prefix}/{a.RunId}/compare-with/{b.RunId}"),
            ]);
        }

        foreach (var prefix in new[] { "/v1", "" })
        {
            var list = prefix == "/v1" ? "datasets" : "testcases";
            var mapping = new { inputs = new[] { "q" }, history = Array.Empty<string>(), ground_truth = Array.Empty<string>() };
            probes.AddRange(
            [
                new($"GET {prefix}/datasets", Expect.Empty, Get, $"{prefix}/datasets?dataset_id={b.DatasetId}", Empty: j => j[list]),
                new($"GET {prefix}/datasets", Expect.Empty, Get, $"{prefix}/datasets?name={b.Marker}-dataset", Empty: j => j[list]),
                new($"POST {prefix}/datasets", Expect.Hidden, Post, $"{prefix}/datasets", Json(new { name = "borrowed", datapoints = new[] { b.DatapointId } })),
                new($"PUT {prefix}/datasets", Expect.Hidden, Put, $"{prefix}/datasets", Json(new { dataset_id = b.DatasetId, name = "hijacked" })),
                new($"DELETE {prefix}/datasets", Expect.Hidden, Delete, $"{prefix}/datasets?dataset_id={b.DatasetId}"),
                new($"PUT {prefix}/datasets/{{dataset_id}}", Expect.Hidden, Put, $"{prefix}/datasets/{b.DatasetId}", Json(new { name = "hijacked" })),
                new($"PUT {prefix}/datasets/{{dataset_id}}", Expect.Hidden, Put, $"{prefix}/datasets/{a.DatasetId}", Json(new { datapoints = new[] { b.DatapointId } })),
                new($"DELETE {prefix}/datasets/{{dataset_id}}", Expect.Hidden, Delete, $"{prefix}/datasets/{b.DatasetId}"),
                new($"POST {prefix}/datasets/{{dataset_id}}/datapoints", Expect.Hidden, Post, $"{prefix}/datasets/{b.DatasetId}/datapoints",
                    Json(new { data = new[] { new { q = "planted" } }, mapping })),
                new($"DELETE {prefix}/datasets/{{dataset_id}}/datapoints/{{datapoint_id}}", Expect.Hidden, Delete, $"{prefix}/datasets/{b.DatasetId}/datapoints/{b.DatapointId}"),
                new($"DELETE {prefix}/datasets/{{dataset_id}}/datapoints/{{datapoint_id}}", Expect.Hidden, Delete, $"{prefix}/datasets/{a.DatasetId}/datapoints/{b.DatapointId}"),
                new($"DELETE {prefix}/datasets/{{dataset_id}}/{{datapoint_id}}", Expect.Hidden, Delete, $"{prefix}/datasets/{b.DatasetId}/{b.DatapointId}"),

                new($"GET {prefix}/datapoints", Expect.Empty, Get, $"{prefix}/datapoints?datapoint_ids={b.DatapointId}", Empty: j => j["datapoints"]),
                new($"GET {prefix}/datapoints", Expect.Empty, Get, $"{prefix}/datapoints?dataset_name={b.Marker}-dataset", Empty: j => j["datapoints"]),
                new($"GET {prefix}/datapoints", Expect.Hidden, Get, $"{prefix}/datapoints?dataset_id={b.DatasetId}"),
                new($"POST {prefix}/datapoints", Expect.Hidden, Post, $"{prefix}/datapoints", Json(new { inputs = new { q = "planted" }, linked_datasets = new[] { b.DatasetId } })),
                new($"POST {prefix}/datapoints/batch", Expect.Hidden, Post, $"{prefix}/datapoints/batch", Json(new { events = new[] { b.EventId } })),
                new($"POST {prefix}/datapoints/batch", Expect.Hidden, Post, $"{prefix}/datapoints/batch", Json(new { events = new[] { a.EventId }, dataset_id = b.DatasetId })),
                new($"POST {prefix}/datapoints/batch", Expect.Empty, Post, $"{prefix}/datapoints/batch",
                    Json(new { selectAll = true, filters = new[] { Filter("session_id", b.SessionId) } }), j => j["insertedIds"]),
                new($"GET {prefix}/datapoints/{{datapoint_id}}", Expect.Hidden, Get, $"{prefix}/datapoints/{b.DatapointId}"),
                new($"PUT {prefix}/datapoints/{{datapoint_id}}", Expect.Hidden, Put, $"{prefix}/datapoints/{b.DatapointId}", Json(new { inputs = new { q = "hijacked" } })),
                new($"PUT {prefix}/datapoints/{{datapoint_id}}", Expect.Hidden, Put, $"{prefix}/datapoints/{a.DatapointId}", Json(new { linked_datasets = new[] { b.DatasetId } })),
                new($"DELETE {prefix}/datapoints/{{datapoint_id}}", Expect.Hidden, Delete, $"{prefix}/datapoints/{b.DatapointId}"),
            ]);
        }

        return probes;
    }

    /// <summary>
    /// Writes with A's key whose bodies and paths carry B's ids (session, event, run, project, provider):
    /// each must answer 200 and land in project A. Every ingested event carries <paramref name="marker"/>.
    /// </summary>
    public static IReadOnlyList<Probe> Landing(TenancyHost host, string marker)
    {
        var (b, tb) = (host.OfB, host.B);
        // One event reuses B's event id; the others get fresh ids, so each probe stores an event of its own.
        // The legacy schema names a project per event; the v1 schema keeps only project_id. Both must be ignored.
        JsonObject Event(bool v1, string type = "tool", string? id = null)
        {
            var e = new JsonObject
            {
                ["event_type"] = type, ["event_name"] = marker, ["session_id"] = b.SessionId, ["parent_id"] = b.EventId, ["event_id"] = id,
                ["project_id"] = tb.ProjectId, ["inputs"] = new JsonObject { ["q"] = marker },
                ["metadata"] = new JsonObject { ["marker"] = marker, ["run_id"] = b.RunId },
            };
            if (!v1) e["project"] = tb.ProjectName;
            return e;
        }
        JsonObject Model() => new()
        {
            ["model"] = "gpt-4o", ["provider"] = "openai", ["event_name"] = marker, ["session_id"] = b.SessionId, ["project"] = tb.ProjectName,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = marker }),
            ["response"] = new JsonObject { ["role"] = "assistant", ["content"] = marker }, ["metadata"] = new JsonObject { ["marker"] = marker },
        };
        // The closed v1 session schema has no project fields; the legacy one takes them.
        var v1Session = new JsonObject { ["session_id"] = b.SessionId, ["session_name"] = marker, ["metadata"] = new JsonObject { ["marker"] = marker } };
        var session = (JsonObject)v1Session.DeepClone();
        session["project"] = tb.ProjectName;
        session["project_id"] = tb.ProjectId;
        var prompt = new { call_type = "chat", model = "gpt-4o", template = new[] { new { role = "user", content = marker } } };

        return
        [
            new("POST /session/start", Expect.Own, Post, "/session/start", new JsonObject { ["session"] = session.DeepClone() }.ToJsonString()),
            new("POST /v1/sessions", Expect.Own, Post, "/v1/sessions", v1Session.ToJsonString()),
            new("POST /session/{session_id}/traces", Expect.Own, Post, $"/session/{b.SessionId}/traces",
                new JsonObject { ["events"] = new JsonArray(Event(v1: false)) }.ToJsonString()),
            new("POST /v1/sessions/{session_id}/events/batch", Expect.Own, Post, $"/v1/sessions/{b.SessionId}/events/batch",
                new JsonObject { ["events"] = new JsonArray(Event(v1: true)) }.ToJsonString()),
            new("POST /events", Expect.Own, Post, "/events", new JsonObject { ["event"] = Event(v1: false).ToJsonString() }.ToJsonString()),
            new("POST /v1/events", Expect.Own, Post, "/v1/events", Event(v1: true, "chain", b.EventId).ToJsonString()),
            new("POST /events/batch", Expect.Own, Post, "/events/batch",
                new JsonObject { ["events"] = new JsonArray(Event(v1: false)), ["is_single_session"] = true, ["session"] = session.DeepClone() }.ToJsonString()),
            new("POST /v1/events/batch", Expect.Own, Post, "/v1/events/batch",
                new JsonObject { ["events"] = new JsonArray(Event(v1: true)), ["single_session"] = true, ["session_properties"] = v1Session.DeepClone() }.ToJsonString()),
            new("POST /events/model", Expect.Own, Post, "/events/model", new JsonObject { ["model_event"] = Model() }.ToJsonString()),
            new("POST /events/model/batch", Expect.Own, Post, "/events/model/batch", new JsonObject { ["model_events"] = new JsonArray(Model()) }.ToJsonString()),
            new("POST /v1/traces", Expect.Own, Post, "/v1/traces", OtlpJson(marker, b.SessionId, tb)),
            new("POST /opentelemetry/v1/traces", Expect.Own, Post, "/opentelemetry/v1/traces", OtlpJson(marker, b.SessionId, tb)),
            new("POST /opentelemetry.proto.collector.trace.v1.TraceService/Export", Expect.Own, Post, "(gRPC on the OTLP gRPC port)")
            {
                Custom = () => ExportGrpcAsync(host, marker, b.SessionId, tb),
            },
            new("POST /v1/logs", Expect.Own, Post, "/v1/logs", OtlpLogsJson(marker, b.SessionId, tb)),
            new("POST /opentelemetry/v1/logs", Expect.Own, Post, "/opentelemetry/v1/logs", OtlpLogsJson(marker, b.SessionId, tb)),
            new("POST /opentelemetry.proto.collector.logs.v1.LogsService/Export", Expect.Own, Post, "(gRPC on the OTLP gRPC port)")
            {
                Custom = () => ExportLogsGrpcAsync(host, marker, b.SessionId, tb),
            },

            // Updates go through the message log: one naming B's moved-payload event (which exists only in B) is
            // dead-lettered by A's Writer, one naming b.EventId updates A's own event of that id (created above).
            // The matrix then waits for the second to show in A, so both were handled before B is re-read.
            new("PUT /events", Expect.Own, Put, "/events", Json(new { event_id = b.BigEventId, feedback = new { comment = marker } })),
            new("PUT /v1/events/{event_id}", Expect.Own, Put, $"/v1/events/{b.EventId}", Json(new { feedback = new { comment = marker } })),

            // A run id is the client's to choose: B's must neither be refused (that would confirm it exists) nor reach B's run.
            new("POST /v1/runs", Expect.Own, Post, "/v1/runs",
                Json(new { run_id = b.RunId, name = marker, session_ids = new[] { b.SessionId }, event_ids = new[] { b.EventId, b.BigEventId }, dataset_id = b.DatasetId })),
            new("POST /runs", Expect.Own, Post, "/runs",
                Json(new { name = marker, session_ids = new[] { b.SessionId }, event_ids = new[] { b.EventId }, datapoint_ids = new[] { b.DatapointId } })),
            new("POST /v1/metrics", Expect.Own, Post, "/v1/metrics", Json(new { name = b.MetricName, type = "PYTHON", criteria = "def metric(event):\n    return 0" })),
            new("POST /metrics", Expect.Own, Post, "/metrics",
                Json(new { name = marker + "-legacy", type = "PYTHON", criteria = "def metric(event):\n    return 0", project = tb.ProjectId })),
            new("POST /v1/configurations", Expect.Own, Post, "/v1/configurations", Json(new { name = b.ConfigurationName, provider = "openai", parameters = prompt })),
            new("POST /configurations", Expect.Own, Post, "/configurations",
                Json(new { name = marker + "-legacy", provider = "openai", project = tb.ProjectId, parameters = prompt })),
            new("PUT /v1/provider-secrets/{provider}", Expect.Own, Put, $"/v1/provider-secrets/{b.Provider}", Json(new { value = "sk-" + marker + "-own-value" })),
            new("POST /v1/provider-secrets/rotate", Expect.Own, Post, "/v1/provider-secrets/rotate"),
            // An alias named like B's, pointing at a key named like B's: A's own, and B's alias is untouched.
            new("PUT /v1/model-aliases/{name}", Expect.Own, Put, $"/v1/model-aliases/{b.AliasName}", Json(new { targets = new[] { $"{b.Provider}/gpt-4o" } })),
            // A queue named like B's lands in A; an event id of B's would be refused (400), tested in Evaluation.Tests.
            new("POST /v1/queues", Expect.Own, Post, "/v1/queues", Json(new { name = b.Marker + "-queue", description = tb.ProjectId })),
            new("POST /v1/charts", Expect.Own, Post, "/v1/charts", Json(new { name = b.Marker + "-chart", metric = "cost", query = new[] { Filter("session_id", b.SessionId) } })),
            new("POST /v1/datasets", Expect.Own, Post, "/v1/datasets", Json(new { name = host.OfB.Marker + "-dataset" })),
            new("POST /datasets", Expect.Own, Post, "/datasets", Json(new { name = marker + "-legacy", project = tb.ProjectId })),
            new("POST /v1/datapoints", Expect.Own, Post, "/v1/datapoints", Json(new { inputs = new { q = marker }, linked_event = b.EventId })),
            new("POST /datapoints", Expect.Own, Post, "/datapoints", Json(new { inputs = new { q = marker }, project = tb.ProjectId })),
            // A project created with A's key lands in A's workspace whatever the body says.
            new("POST /v1/projects", Expect.Own, Post, "/v1/projects", Json(new { name = marker + "-project", description = tb.ProjectId })),
            new("POST /projects", Expect.Own, Post, "/projects", Json(new { name = marker + "-legacy-project", description = tb.WorkspaceId })),
        ];
    }

    /// <summary>How many non-session events <see cref="Landing"/> ingests (each named by the marker).</summary>
    public const int LandingEvents = 14;

    /// <summary>A PYTHON metric run on the event of that id, returning the event's whole content if it ever ran.</summary>
    private static string RunOn(string eventId) => Json(new
    {
        metric = new { name = "probe", type = "PYTHON", criteria = "def probe(event):\n    return str(event)\n", return_type = "string" },
        @event = new { event_id = eventId },
    });

    public static object Filter(string field, string value) => new { field, @operator = "is", value, type = "string" };

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static string OtlpJson(string marker, string sessionId, Tenant b)
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var spanId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);
        static JsonObject Attribute(string key, string value) => new() { ["key"] = key, ["value"] = new JsonObject { ["stringValue"] = value } };
        return new JsonObject
        {
            ["resourceSpans"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = new JsonArray(Attribute("honeyhive.project", b.ProjectName), Attribute("honeyhive.project_id", b.ProjectId)) },
                ["scopeSpans"] = new JsonArray(new JsonObject
                {
                    ["spans"] = new JsonArray(new JsonObject
                    {
                        ["traceId"] = traceId, ["spanId"] = spanId, ["name"] = marker,
                        ["startTimeUnixNano"] = RecentNanos().ToString(CultureInfo.InvariantCulture), ["endTimeUnixNano"] = (RecentNanos() + 100_000_000).ToString(CultureInfo.InvariantCulture),
                        ["attributes"] = new JsonArray(Attribute("honeyhive.session_id", sessionId), Attribute("honeyhive.metadata.marker", marker)),
                    }),
                }),
            }),
        }.ToJsonString();
    }

    /// <summary>An OTLP/JSON log record named by the marker, naming B's project and session (a record of its own: no span).</summary>
    private static string OtlpLogsJson(string marker, string sessionId, Tenant b)
    {
        static JsonObject Attribute(string key, string value) => new() { ["key"] = key, ["value"] = new JsonObject { ["stringValue"] = value } };
        return new JsonObject
        {
            ["resourceLogs"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = new JsonArray(Attribute("honeyhive.project", b.ProjectName), Attribute("honeyhive.project_id", b.ProjectId)) },
                ["scopeLogs"] = new JsonArray(new JsonObject
                {
                    ["logRecords"] = new JsonArray(new JsonObject
                    {
                        ["timeUnixNano"] = RecentNanos().ToString(CultureInfo.InvariantCulture),
                        ["eventName"] = marker,
                        // Each call its own record (identical records are one event by design).
                        ["attributes"] = new JsonArray(Attribute("honeyhive.session_id", sessionId), Attribute("probe", Guid.NewGuid().ToString())),
                    }),
                }),
            }),
        }.ToJsonString();
    }

    private static async Task<(HttpStatusCode Status, string Body)> ExportLogsGrpcAsync(TenancyHost host, string marker, string sessionId, Tenant b)
    {
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        var request = new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest
        {
            ResourceLogs =
            {
                new OpenTelemetry.Proto.Logs.V1.ResourceLogs
                {
                    Resource = new OpenTelemetry.Proto.Resource.V1.Resource
                    {
                        Attributes = { new KeyValue { Key = "honeyhive.project_id", Value = new AnyValue { StringValue = b.ProjectId } } },
                    },
                    ScopeLogs =
                    {
                        new OpenTelemetry.Proto.Logs.V1.ScopeLogs
                        {
                            LogRecords =
                            {
                                new OpenTelemetry.Proto.Logs.V1.LogRecord
                                {
                                    TimeUnixNano = RecentNanos(),
                                    EventName = marker,
                                    Attributes =
                                    {
                                        new KeyValue { Key = "honeyhive.session_id", Value = new AnyValue { StringValue = sessionId } },
                                        new KeyValue { Key = "probe", Value = new AnyValue { StringValue = Guid.NewGuid().ToString() } },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };
        try
        {
            var response = await new OpenTelemetry.Proto.Collector.Logs.V1.LogsService.LogsServiceClient(channel)
                .ExportAsync(request, new Metadata { { "authorization", "Bearer " + host.A.Key } });
            return (HttpStatusCode.OK, response.ToString());
        }
        catch (RpcException e)
        {
            return (e.StatusCode == StatusCode.NotFound ? HttpStatusCode.NotFound : HttpStatusCode.InternalServerError, e.Status.Detail);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> ExportGrpcAsync(TenancyHost host, string marker, string sessionId, Tenant b)
    {
        using var channel = GrpcChannel.ForAddress(host.OtlpGrpc);
        var client = new TraceService.TraceServiceClient(channel);
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new OpenTelemetry.Proto.Resource.V1.Resource
                    {
                        Attributes = { new KeyValue { Key = "honeyhive.project_id", Value = new AnyValue { StringValue = b.ProjectId } } },
                    },
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Spans =
                            {
                                new Span
                                {
                                    TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
                                    SpanId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()[..8]),
                                    Name = marker,
                                    StartTimeUnixNano = RecentNanos(),
                                    EndTimeUnixNano = RecentNanos() + 100_000_000,
                                    Attributes =
                                    {
                                        new KeyValue { Key = "honeyhive.session_id", Value = new AnyValue { StringValue = sessionId } },
                                        new KeyValue { Key = "honeyhive.metadata.marker", Value = new AnyValue { StringValue = marker } },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        };
        try
        {
            var response = await client.ExportAsync(request, new Metadata { { "authorization", "Bearer " + host.A.Key } });
            return (HttpStatusCode.OK, response.ToString());
        }
        catch (RpcException e)
        {
            return (HttpStatusCode.InternalServerError, e.Status.ToString());
        }
    }
}
