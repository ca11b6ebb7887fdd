using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// The Writer module in a host of its own against the real NATS server and the shared chDB store
/// (behind <see cref="FlakyAnalyticsStore"/>): its own topic (<c>events.writer-test.&lt;guid&gt;</c>),
/// durable consumer, project id and object-store folder, so tests never see each other's data.
/// </summary>
public sealed class WriterHarness : IAsyncDisposable
{
    /// <summary>ClickHouse quotes 64-bit integers in JSON output.</summary>
    public static readonly JsonSerializerOptions RowOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString };

    private readonly IHost host;
    private readonly IAnalyticsStore reader;
    private int published;

    private WriterHarness(IHost host, string topic, string consumer, string projectId, FlakyAnalyticsStore store, IAnalyticsStore reader)
    {
        this.reader = reader;
        this.host = host;
        Topic = topic;
        Consumer = consumer;
        ProjectId = projectId;
        Store = store;
    }

    public string Topic { get; }
    public string Consumer { get; }
    public string ProjectId { get; }
    public FlakyAnalyticsStore Store { get; }
    public IServiceProvider Services => host.Services;

    /// <param name="objects">The object store (large payloads, dead letters); a folder of the test's own when null.</param>
    public static async Task<WriterHarness> StartAsync(ChdbFixture chdb, IDictionary<string, string?>? settings = null, bool start = true, IObjectStore? objects = null)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var topic = $"events.writer-test.{id}";
        var consumer = $"writer-test-{id}";
        var projectId = $"project-{id}";
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("HH_WRITER_TEST_LOG") is { Length: > 0 }) builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        var config = new Dictionary<string, string?>
        {
            ["Writer:ConsumerName"] = consumer,
            ["Writer:Topic"] = topic,
            ["Writer:MaxRetryAttempts"] = "6",
            ["Writer:RetryDelay"] = "00:00:00.050",
            ["Writer:MaxRetryDelay"] = "00:00:00.200",
            ["Writer:AckWait"] = "00:00:30",
            // AddWriter registers the message log it consumes from (the JetStream adapter below is the same one).
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key.Replace("{project}", projectId, StringComparison.Ordinal)] = value;
        builder.Configuration.AddInMemoryCollection(config);
        var store = new FlakyAnalyticsStore(chdb.Store);
        builder.Services.AddSingleton<IAnalyticsStore>(store);
        builder.Services.AddSingleton<IObjectStore>(objects ?? new FileSystemObjectStore(
            Path.Combine(TestServers.DataDirectory, "writer-objects", id), NullLogger<FileSystemObjectStore>.Instance));
        builder.Services.AddJetStream(TestServers.NatsUrl, "writer-tests");
        builder.AddWriter();
        var host = builder.Build();
        var harness = new WriterHarness(host, topic, consumer, projectId, store, chdb.Store);
        // The streams exist before the first publish, also when the host starts later (or provisions in the
        // background): on a fresh server the first test would otherwise publish into no stream.
        await host.Services.GetRequiredService<JetStreamTopology>().EnsureStreamsAsync(CancellationToken.None);
        if (start) await host.StartAsync();
        return harness;
    }

    public Task StartAsync() => host.StartAsync();

    /// <summary>A CloudEvent with an EventBatch, as ingestion's EventBatchPublisher sends it.</summary>
    public OutgoingMessage Message(IReadOnlyList<EventRecord> events, string? id = null)
    {
        var messageId = id ?? $"{Topic}-{Interlocked.Increment(ref published)}";
        var envelope = new CloudEvent<EventBatch>(messageId, "/writer-tests", "honeyhive.events.ingested.v1", new EventBatch(ProjectId, events))
        {
            Topic = Topic,
            Time = DateTimeOffset.UtcNow,
        };
        return new OutgoingMessage(Topic, messageId, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }

    /// <summary>An update as ingestion's PUT routes publish it.</summary>
    public Task PublishUpdateAsync(EventUpdate update)
    {
        var messageId = $"{Topic}-{Interlocked.Increment(ref published)}";
        var envelope = new CloudEvent<EventUpdateBatch>(messageId, "/writer-tests", "honeyhive.events.updated.v1", new EventUpdateBatch(ProjectId, [update]))
        {
            Topic = Topic,
            Time = DateTimeOffset.UtcNow,
        };
        return Services.GetRequiredService<IEventPublisher>().PublishAsync(
            new OutgoingMessage(Topic, messageId, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
    }

    public Task PublishAsync(params EventRecord[] events) =>
        Services.GetRequiredService<IEventPublisher>().PublishAsync(Message(events), CancellationToken.None);

    public EventRecord Event(string sessionId, string type, double start, double end, Action<EventRecord>? shape = null, string? eventId = null)
    {
        var record = new EventRecord
        {
            EventId = eventId ?? (type == "session" ? sessionId : Guid.NewGuid().ToString()),
            ProjectId = ProjectId,
            SessionId = sessionId,
            ParentId = type == "session" ? null : sessionId,
            EventType = type,
            EventName = type + "-event",
            Source = "unknown",
            StartTime = start,
            EndTime = end,
        };
        shape?.Invoke(record);
        return record;
    }

    /// <summary>The latest revision of every event of the project, read as query APIs must: no FINAL.</summary>
    public async Task<List<EventRow>> ReadAsync()
    {
        // The real store: the test reads even while the Writer's store is made to fail.
        var rows = await reader.QueryAsync(
            "SELECT * EXCEPT (inserted_at) FROM events WHERE project_id = {project:String} ORDER BY version DESC LIMIT 1 BY event_id",
            new Dictionary<string, object?> { ["project"] = ProjectId },
            CancellationToken.None);
        return rows.Select(r => r.Deserialize<EventRow>(RowOptions)!)
            .Where(r => r.IsDeleted == 0)
            .ToList();
    }

    /// <summary>Physical rows of one event (every revision inserted).</summary>
    public async Task<long> RawCountAsync(string eventId)
    {
        // The real store: the test reads even while the Writer's store is made to fail.
        var rows = await reader.QueryAsync(
            "SELECT count() AS n FROM events WHERE project_id = {project:String} AND event_id = {id:String}",
            new Dictionary<string, object?> { ["project"] = ProjectId, ["id"] = eventId },
            CancellationToken.None);
        var n = rows[0].GetProperty("n");
        return n.ValueKind == JsonValueKind.String ? long.Parse(n.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : n.GetInt64();
    }

    /// <summary>The month partitions holding revisions of one event (the store merges revisions only inside one).</summary>
    public async Task<long> PartitionsAsync(string eventId)
    {
        var rows = await reader.QueryAsync(
            "SELECT toString(uniqExact(_partition_id)) AS n FROM events WHERE project_id = {project:String} AND event_id = {id:String}",
            new Dictionary<string, object?> { ["project"] = ProjectId, ["id"] = eventId },
            CancellationToken.None);
        return long.Parse(rows[0].GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Wait until the project's rows satisfy <paramref name="done"/>.</summary>
    public Task<List<EventRow>> WaitForAsync(Func<List<EventRow>, bool> done, string what) =>
        Eventually.ValueAsync(ReadAsync, done, what);

    public static JsonNode Json(object value) => JsonSerializer.SerializeToNode(value)!;

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        var js = Services.GetRequiredService<INatsJSContext>();
        try
        {
            await js.DeleteConsumerAsync(Streams.Events, Consumer);
            await js.DeleteConsumerAsync(Streams.GenAi, Consumer + WriterModule.GenAiConsumerSuffix);
        }
        catch (NatsJSApiException)
        {
            // Never created (host not started).
        }

        // Keep the shared server clean for the suites that read events.>.
        await js.PurgeStreamAsync(Streams.Events, new StreamPurgeRequest { Filter = Topic });
        host.Dispose();
    }
}
