using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Evaluation.Online;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using HoneyHive.PythonMetric;
using HoneyHive.Writer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace HoneyHive.Evaluation.Tests.Online;

/// <summary>
/// Online evaluation as the single-node Host composes it, in a host of its own: the Writer (storing events and merging
/// scores into chDB), the Python worker pool, and the evaluation module with its dispatcher and worker, against the real
/// NATS server, a fresh dpdb on the test PostgreSQL and one chDB per process. Consumers have names of their own, so
/// other hosts on the shared NATS never take this one's messages. Tests keep apart by project (a GUID each).
/// </summary>
public sealed class OnlineHarness : IAsyncLifetime
{
    private readonly string id = Guid.NewGuid().ToString("N")[..12];
    private IHost? host;
    private string database = "";

    public ChdbAnalyticsStore Chdb { get; private set; } = null!;
    public NpgsqlDataSource Dpdb { get; private set; } = null!;
    public IServiceProvider Services => host!.Services;
    public string WorkerConsumer => $"evaluation-worker-test-{id}";

    public async Task InitializeAsync()
    {
        // The process's one chDB connection, shared with the queue fixtures (each seeds projects of its own).
        Chdb = await SharedChdb.GetAsync(EvaluationTestData.ChdbFolder);

        database = "hh_eval_online_" + id;
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var dpdb = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = database }.ConnectionString;
        Dpdb = NpgsqlDataSource.Create(dpdb);
        await PostgresMigrator.MigrateAsync(Dpdb, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("HH_EVAL_TEST_LOG") is { Length: > 0 }) builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
            ["ConnectionStrings:dpdb"] = dpdb,
            ["Writer:ConsumerName"] = $"writer-eval-test-{id}",
            ["Writer:StartWithNewMessages"] = "true",
            ["Writer:MaxWait"] = "00:00:00.100",
            ["Evaluation:Online:DispatcherConsumer"] = $"evaluation-dispatcher-test-{id}",
            ["Evaluation:Online:WorkerConsumer"] = WorkerConsumer,
            // A deploy shows in the next batch: each test deploys its metrics just before it sends events.
            ["Evaluation:Online:MetricCacheTtl"] = "00:00:00",
            ["PythonMetric:PythonLibrary"] = TestServers.PythonLibrary,
            ["PythonMetric:RestrictedPythonPath"] = TestServers.RestrictedPythonPath,
            ["PythonMetric:Workers"] = "2",
        });
        builder.Services.AddSingleton<IAnalyticsStore>(Chdb);
        builder.Services.AddSingleton<IObjectStore>(new FileSystemObjectStore(
            Path.Combine(TestServers.DataDirectory, "evaluation-objects", id), NullLogger<FileSystemObjectStore>.Instance));
        builder.AddWriter();
        builder.AddPythonMetric();
        builder.AddEvaluationEngine();
        builder.AddOnlineEvaluation();
        host = builder.Build();
        await host.Services.GetRequiredService<JetStreamTopology>().EnsureStreamsAsync(CancellationToken.None);
        await host.StartAsync();
    }

    /// <summary>A project of its own in dpdb (metrics reference their project).</summary>
    public async Task<Guid> ProjectAsync()
    {
        var project = Guid.NewGuid();
        await using var insert = Dpdb.CreateCommand("INSERT INTO projects (id, org_id, workspace_id, name) VALUES ($1, $2, $3, $4)");
        insert.Parameters.AddWithValue(project);
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue("online-" + project.ToString("N")[..8]);
        await insert.ExecuteNonQueryAsync();
        return project;
    }

    /// <summary>Stores a metric through the DP's own normalization and store, as <c>POST /v1/metrics</c> does.</summary>
    public async Task<OnlineMetric> MetricAsync(Guid project, JsonObject definition)
    {
        var errors = new FieldErrors();
        // As a request body arrives: parsed JSON (the normalizer reads numbers the way parsed values hold them).
        var content = MetricDefinition.Normalize(JsonNode.Parse(definition.ToJsonString())!.AsObject(), errors);
        errors.ThrowIfAny();
        var metricId = await Services.GetRequiredService<MetricStore>().CreateAsync(project, content, CancellationToken.None);
        return new OnlineMetric(metricId, 1, content);
    }

    /// <summary>A PYTHON metric that runs in production on every event (sampling 100 % unless said otherwise).</summary>
    public static JsonObject PythonMetricDefinition(string name, string code, double sampling = 100, JsonArray? filters = null, bool enabled = true, bool needsGroundTruth = false) => new()
    {
        ["name"] = name,
        ["type"] = "PYTHON",
        ["criteria"] = code,
        ["return_type"] = "float",
        ["enabled_in_prod"] = enabled,
        ["needs_ground_truth"] = needsGroundTruth,
        ["sampling_percentage"] = sampling,
        ["filters"] = new JsonObject { ["filterArray"] = filters ?? [] },
    };

    public static JsonObject Filter(string field, string op, JsonNode? value, string type) =>
        new() { ["field"] = field, ["operator"] = op, ["value"] = value, ["type"] = type };

    public static EventRecord Event(Guid project, string type = "model", string name = "answer", Action<EventRecord>? shape = null)
    {
        var session = Guid.NewGuid().ToString();
        var record = new EventRecord
        {
            EventId = Guid.NewGuid().ToString(),
            ProjectId = project.ToString(),
            SessionId = session,
            ParentId = session,
            EventType = type,
            EventName = name,
            StartTime = 1_700_000_000_000,
            EndTime = 1_700_000_000_100,
            Duration = 100,
        };
        shape?.Invoke(record);
        return record;
    }

    /// <summary>Publishes events as ingestion does (one CloudEvent of an EventBatch on events.ingested).</summary>
    public Task PublishAsync(Guid project, IReadOnlyList<EventRecord> events, string? messageId = null)
    {
        var id = messageId ?? Guid.NewGuid().ToString("N");
        var envelope = new CloudEvent<EventBatch>(id, "/evaluation-tests", "honeyhive.events.ingested.v1", new EventBatch(project.ToString(), events))
        {
            Topic = Topics.EventsIngested,
            Time = DateTimeOffset.UtcNow,
        };
        return Services.GetRequiredService<IEventPublisher>().PublishAsync(
            new OutgoingMessage(Topics.EventsIngested, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
    }

    /// <summary>The current revision of a stored event, as the DP API reads it.</summary>
    public Task<JsonObject?> StoredAsync(Guid project, string eventId) =>
        Services.GetRequiredService<EventQueries>().GetAsync(project, eventId, CancellationToken.None);

    /// <summary>Every message now on <paramref name="subject"/> of <paramref name="stream"/>, in stream order, with headers.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> ReadStreamAsync(string stream, string subject)
    {
        var js = Services.GetRequiredService<INatsJSContext>();
        var info = await js.GetStreamAsync(stream, new StreamInfoRequest { SubjectsFilter = subject });
        var result = new List<INatsJSMsg<byte[]>>();
        var pending = info.Info.State.Subjects is { } subjects && subjects.TryGetValue(subject, out var count) ? (long)count : 0;
        if (pending == 0) return result;
        var consumer = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { FilterSubjects = [subject] });
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)pending, Expires = TimeSpan.FromSeconds(5) }, NatsRawSerializer<byte[]>.Default))
        {
            result.Add(msg);
        }
        return result;
    }

    /// <summary>Tasks the worker has not settled yet (not delivered, or delivered and not acked).</summary>
    public async Task<long> WorkerPendingAsync()
    {
        var consumer = await Services.GetRequiredService<INatsJSContext>().GetConsumerAsync(Streams.Evaluation, WorkerConsumer);
        return (long)consumer.Info.NumPending + consumer.Info.NumAckPending;
    }

    /// <summary>The tasks queued for one project, by task id.</summary>
    public async Task<List<JsonObject>> TasksAsync(Guid project)
    {
        var messages = await ReadStreamAsync(Streams.Evaluation, Topics.EvaluationRequested);
        return messages.Select(m => JsonNode.Parse(m.Data!)!["data"]!.AsObject())
            .Where(t => t["project_id"]?.GetValue<string>() == project.ToString())
            .ToList();
    }

    /// <summary>The score messages of one project, in the order they were published (completion order).</summary>
    public async Task<List<JsonObject>> ScoresAsync(Guid project)
    {
        var messages = await ReadStreamAsync(Streams.Events, Topics.EventsScored);
        return messages.Select(m => JsonNode.Parse(m.Data!)!["data"]!.AsObject())
            .Where(s => s["project_id"]?.GetValue<string>() == project.ToString())
            .ToList();
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.StopAsync();
            var js = host.Services.GetRequiredService<INatsJSContext>();
            foreach (var (stream, consumer) in new[]
                     {
                         (Streams.Events, $"writer-eval-test-{id}"), (Streams.Events, $"evaluation-dispatcher-test-{id}"), (Streams.Evaluation, WorkerConsumer),
                     })
            {
                try
                {
                    await js.DeleteConsumerAsync(stream, consumer);
                }
                catch (NatsJSApiException)
                {
                    // Never created.
                }
            }
            host.Dispose();
        }
        await Dpdb.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OnlineCollection : ICollectionFixture<OnlineHarness>
{
    public const string Name = "online-evaluation";
}
