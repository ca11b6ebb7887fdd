using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Alerts;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace HoneyHive.DataPlane.Tests.Alerts;

/// <summary>
/// The alert engine's parts over real servers: a fresh dpdb (tenants A and B), the process's chDB, and the JetStream
/// publisher on the test NATS. Tests keep apart by project (each makes its own) and build the engine's parts with a
/// clock of their own, so windows, recovery and mutes are exact without waiting.
/// </summary>
public sealed class AlertHarness : IAsyncLifetime
{
    private FreshDpdb database = null!;
    private ServiceProvider messaging = null!;

    public NpgsqlDataSource Dpdb => database.DataSource;

    public string DpdbConnectionString => database.ConnectionString;

    public ChdbAnalyticsStore Chdb { get; private set; } = null!;

    public IEventPublisher Publisher => messaging.GetRequiredService<IEventPublisher>();

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_alerts_", [Tenants.A, Tenants.B]);
        Chdb = await SharedChdb.GetAsync("chdb");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddJetStream(TestServers.NatsUrl, "alert-tests");
        messaging = services.BuildServiceProvider();
        await messaging.GetRequiredService<JetStreamTopology>().EnsureStreamsAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await messaging.DisposeAsync();
        await database.DisposeAsync();
    }

    public static AlertOptions Options(TimeSpan? interval = null) => new() { EvaluationInterval = interval ?? TimeSpan.FromSeconds(1) };

    public AlertRecorder Recorder(TimeProvider clock, AlertOutboxSignal? signal = null) => new(Dpdb, signal ?? new AlertOutboxSignal(), clock);

    public WindowEvaluator Evaluator() => new(new ChartQueries(Chdb));

    public AlertScheduler Scheduler(TimeProvider clock) =>
        new(Dpdb, Recorder(clock), Evaluator(), Options(), clock, NullLogger<AlertScheduler>.Instance);

    /// <summary>An outbox publisher as a (re)started process has one: nothing in memory but dpdb.</summary>
    public AlertOutbox Outbox(TimeProvider clock, IEventPublisher? publisher = null) =>
        new(Dpdb, publisher ?? Publisher, new AlertOutboxSignal(), Options(), clock, NullLogger<AlertOutbox>.Instance);

    /// <summary>A project of its own in dpdb (alerts reference their project).</summary>
    public async Task<Guid> ProjectAsync()
    {
        var project = Guid.NewGuid();
        await using var connection = await Dpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO projects (id, org_id, workspace_id, name) VALUES (@project, @org, @workspace, @name)",
            new { project, org = Guid.NewGuid(), workspace = Guid.NewGuid(), name = "alerts-" + project.ToString("N")[..8] });
        return project;
    }

    public static AlertDefinition Definition(
        Guid project, string type = AlertNames.Aggregate, string aggregation = "AVERAGE", string? metric = "metrics.score",
        AlertThresholds? thresholds = null, JsonArray? filters = null, int minimumSampleSize = 0, string status = AlertNames.Active,
        DateTimeOffset? mutedUntil = null, int recoverySeconds = 0, string frequency = "HOURLY") =>
        new(Guid.NewGuid().ToString(), project.ToString(), "alert " + type.ToLowerInvariant(), type, frequency, aggregation, minimumSampleSize,
            filters ?? [], metric, thresholds ?? Thresholds(critical: 80, resolved: 30), status, mutedUntil, recoverySeconds, DateTimeOffset.UtcNow);

    public static AlertThresholds Thresholds(double critical, double resolved, double? warning = null) =>
        new(new AlertThreshold("greater_than", critical), new AlertThreshold("less_than", resolved),
            warning is { } w ? new AlertThreshold("greater_than", w) : null);

    /// <summary>Stores a definition as the DP controller's sync does.</summary>
    public async Task<Guid> AlertAsync(AlertDefinition alert)
    {
        await using var connection = await Dpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO alerts (id, project_id, definition) VALUES (@id, @project, @definition::jsonb)
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition
            """, new { id = Guid.Parse(alert.Id), project = Guid.Parse(alert.ProjectId), definition = AlertJson.Serialize(alert) });
        return Guid.Parse(alert.Id);
    }

    public async Task<List<(Guid Id, string From, string To, bool Muted, DateTime? PublishedAt, JsonObject Result)>> TransitionsAsync(Guid alertId)
    {
        await using var connection = await Dpdb.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(Guid Id, string From, string To, bool Muted, DateTime? PublishedAt, string Result)>(
            "SELECT id, from_stage, to_stage, muted, published_at, result::text FROM alert_transitions WHERE alert_id = @alertId ORDER BY occurred_at, id",
            new { alertId });
        return rows.Select(r => (r.Id, r.From, r.To, r.Muted, r.PublishedAt, JsonNode.Parse(r.Result)!.AsObject())).ToList();
    }

    public async Task<(string Stage, DateTime? LastRunAt, JsonObject? LastResult, string? LastError)?> StateAsync(Guid alertId)
    {
        await using var connection = await Dpdb.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(string Stage, DateTime? LastRunAt, string? LastResult, string? LastError)>(
            "SELECT stage, last_run_at, last_result::text, last_error FROM alert_states WHERE alert_id = @alertId", new { alertId });
        return row.Stage is null ? null : (row.Stage, row.LastRunAt, row.LastResult is null ? null : JsonNode.Parse(row.LastResult)!.AsObject(), row.LastError);
    }

    /// <summary>Events of <paramref name="project"/> written to chDB as the Writer writes them: (time, metrics.score) pairs.</summary>
    public async Task EventsAsync(Guid project, IEnumerable<(DateTimeOffset At, double? Score)> events, string eventType = "model")
    {
        var rows = events.Select(e => SeedData.Row(
            project.ToString(), "s-" + project.ToString("N"), Guid.NewGuid().ToString(), "s-" + project.ToString("N"), eventType, "call",
            (e.At.UtcDateTime - SeedData.Base).TotalSeconds, 10,
            metrics: e.Score is { } score ? new Dictionary<string, double> { ["score"] = score } : null)).ToList();
        await Chdb.InsertJsonEachRowAsync("events", SeedData.Encode(rows), CancellationToken.None);
    }

    /// <summary>
    /// The stage changes of <paramref name="alertId"/> on <c>notifications.alert</c>, read from JetStream afresh: every
    /// message the stream holds for it (a duplicate publish the log dropped is not among them).
    /// </summary>
    public static async Task<List<CloudEvent<AlertStageChanged>>> PublishedAsync(Guid alertId)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = TestServers.NatsUrl });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrUpdateConsumerAsync(Streams.Notifications, new ConsumerConfig
        {
            Name = "alert-reader-" + Guid.NewGuid().ToString("N"),
            FilterSubject = Topics.NotificationsAlert,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        });
        var pending = consumer.Info.NumPending;
        var result = new List<CloudEvent<AlertStageChanged>>();
        ulong seen = 0;
        while (seen < pending)
        {
            var before = seen;
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending - seen, 10_000), Expires = TimeSpan.FromSeconds(5) }))
            {
                seen++;
                var envelope = JsonSerializer.Deserialize<CloudEvent<AlertStageChanged>>(message.Data!);
                if (envelope?.Type == AlertStageChanged.EventType && envelope.Data.AlertId == alertId.ToString()) result.Add(envelope);
            }
            if (seen == before) break;
        }
        await js.DeleteConsumerAsync(Streams.Notifications, consumer.Info.Name);
        return result;
    }

    public static ILogger<T> Log<T>() => NullLogger<T>.Instance;
}

[CollectionDefinition(Name)]
public sealed class AlertCollection : ICollectionFixture<AlertHarness>
{
    public const string Name = "alerts";
}
