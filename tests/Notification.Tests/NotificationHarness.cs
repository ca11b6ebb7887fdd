using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Alerts;
using HoneyHive.ControlPlane.Api;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

namespace HoneyHive.Notification.Tests;

/// <summary>A fresh cpdb (the control plane's migrations) on the test server, and an SMTP recorder, shared by a test class.</summary>
public sealed class NotificationFixture : IAsyncLifetime
{
    private readonly string name = "hh_notify_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";
    public NpgsqlDataSource Cpdb { get; private set; } = null!;
    public SmtpRecorder Smtp { get; private set; } = null!;

    /// <summary>The CP master key the webhook secrets are sealed under (the notification service is given the same).</summary>
    public byte[] MasterKey { get; } = RandomNumberGenerator.GetBytes(32);
    public MasterKeyRing Ring => MasterKeyRing.FromKeys(MasterKey);

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = name }.ConnectionString;
        Cpdb = NpgsqlDataSource.Create(ConnectionString);
        await PostgresMigrator.MigrateAsync(Cpdb, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        Smtp = await SmtpRecorder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Smtp.DisposeAsync();
        await Cpdb.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    // ---- cpdb as the control plane leaves it ----

    public sealed record Project(Guid OrgId, Guid WorkspaceId, Guid ProjectId);

    public async Task<Project> SeedProjectAsync(Guid? orgId = null, Guid? workspaceId = null)
    {
        var (org, dataplane, workspace, project) = (orgId ?? Guid.NewGuid(), Guid.NewGuid(), workspaceId ?? Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await Cpdb.OpenConnectionAsync();
        if (orgId is null)
            await connection.ExecuteAsync("INSERT INTO orgs (id, name) VALUES (@org, 'Acme')", new { org });
        if (workspaceId is null)
            await connection.ExecuteAsync(
                """
                INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES (@dataplane, @org, 'main', @dpSlug);
                INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES (@workspace, @org, @dataplane, @wsName, @wsSlug);
                """, new { org, dataplane, workspace, wsName = "team " + workspace.ToString("N")[..6], dpSlug = "dp_" + dataplane.ToString("N"), wsSlug = "ws_" + workspace.ToString("N") });
        await connection.ExecuteAsync("INSERT INTO projects (id, workspace_id, name) VALUES (@project, @workspace, @name)",
            new { project, workspace, name = "chatbot " + project.ToString("N")[..6] });
        return new Project(org, workspace, project);
    }

    /// <summary>A user of <paramref name="orgId"/> with an org-wide role (null: none) and role bindings; returns the address.</summary>
    public async Task<(Guid Id, string Email)> AddUserAsync(Guid orgId, string? role, params (string ScopeType, Guid ScopeId, string Role)[] bindings)
    {
        var user = Guid.NewGuid();
        var email = $"user-{user:N}@example.com";
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password_hash, name) VALUES (@user, @email, 'x', 'U')", new { user, email });
        await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role) VALUES (@orgId, @user, @role)", new { orgId, user, role });
        foreach (var b in bindings)
            await connection.ExecuteAsync(
                "INSERT INTO role_bindings (id, org_id, user_id, role, scope_type, scope_id) VALUES (@id, @orgId, @user, @Role, @ScopeType, @ScopeId)",
                new { id = Guid.NewGuid(), orgId, user, b.Role, b.ScopeType, b.ScopeId });
        return (user, email);
    }

    /// <summary>An alert of the project with <paramref name="details"/> as <c>notification_details</c> (the CP's shape).</summary>
    public async Task<Guid> AddAlertAsync(Guid projectId, JsonObject details, string status = AlertNames.Active, Guid? id = null)
    {
        var alertId = id ?? Guid.NewGuid();
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO alerts (id, project_id, name, status, frequency, alert_type, aggregation, thresholds, notification_details)
            VALUES (@alertId, @projectId, 'Error rate', @status, 'HOURLY', 'AGGREGATE', 'AVERAGE', @thresholds::jsonb, @details::jsonb)
            """, new
            {
                alertId, projectId, status, details = details.ToJsonString(),
                thresholds = JsonSerializer.Serialize(Thresholds),
            });
        return alertId;
    }

    /// <summary>A webhook destination of an alert, its secret sealed as the CP seals it.</summary>
    public JsonObject AlertWebhook(Guid alertId, string key, string url, string secret) => new()
    {
        ["channel"] = "WEBHOOK",
        ["metadata"] = new JsonObject { ["url"] = url, ["secret_sealed"] = SealedText.Seal(Ring, secret, $"alert-webhook:{alertId}:{key}") },
    };

    public async Task<Guid> AddChannelAsync(Guid orgId, string scopeType, Guid scopeId, string kind, JsonObject target, string? secret = null, string[]? stages = null, bool deleted = false)
    {
        var id = Guid.NewGuid();
        await using var connection = await Cpdb.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO notification_channels (id, org_id, scope_type, scope_id, name, kind, target, secret_sealed, stages, deleted_at)
            VALUES (@id, @orgId, @scopeType, @scopeId, 'channel', @kind, @target::jsonb, @secretSealed, @stages, CASE WHEN @deleted THEN now() END)
            """, new
            {
                id, orgId, scopeType, scopeId, kind, target = target.ToJsonString(), deleted,
                secretSealed = secret is null ? null : Encoding.UTF8.GetBytes(SealedText.Seal(Ring, secret, $"notification-channel:{id}")),
                stages = stages ?? [AlertNames.StageWarning, AlertNames.StageCritical, AlertNames.StageResolution],
            });
        return id;
    }

    public sealed record LedgerRow(string DeliveryId, string MessageId, string Channel, string Destination, string Status, int Attempts, string? LastError);

    public async Task<List<LedgerRow>> LedgerAsync(string messageId)
    {
        await using var connection = await Cpdb.OpenConnectionAsync();
        return [.. await connection.QueryAsync<LedgerRow>(
            """
            SELECT delivery_id AS DeliveryId, message_id AS MessageId, channel AS Channel, destination AS Destination, status AS Status,
                   attempts AS Attempts, last_error AS LastError
            FROM notification_deliveries WHERE message_id = @messageId ORDER BY delivery_id
            """, new { messageId })];
    }

    public static readonly AlertThresholds Thresholds = new(
        new AlertThreshold("greater_than", 0.2), new AlertThreshold("less_than", 0.05), new AlertThreshold("greater_than", 0.1));

    /// <summary>A stage change as the DP's engine publishes it.</summary>
    public static AlertStageChanged Change(Project project, Guid alertId, string stage, string previous = AlertNames.StageOk, double value = 0.31) => new(
        Guid.NewGuid().ToString(), alertId.ToString(), project.ProjectId.ToString(), "Error rate", AlertNames.Aggregate, stage, previous,
        new AlertResult(value, null, null, 412, DateTimeOffset.Parse("2026-12-06T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2026-12-06T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Thresholds, "AVERAGE"),
        DateTimeOffset.UtcNow);
}

/// <summary>Every log line the host wrote, to show that no secret or link reaches the logs.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>
/// The notification module in a host of its own against the real NATS server and the fixture's cpdb: its own topics
/// (<c>notifications.test-&lt;id&gt;.alert|email</c>) and durable consumers, so tests never see each other's messages.
/// The SSRF guard admits 127.0.0.1 only (HH_ALLOWED_PRIVATE_HOSTS), as an operator would for a local receiver.
/// </summary>
public sealed class NotificationHarness : IAsyncDisposable
{
    private readonly IHost host;

    private NotificationHarness(IHost host, string id, RecordingLoggerProvider logs, MappedResolver names)
    {
        this.host = host;
        AlertTopic = $"notifications.test-{id}.alert";
        EmailTopic = $"notifications.test-{id}.email";
        AlertConsumer = $"notify-alerts-{id}";
        Logs = logs;
        Names = names;
    }

    public string AlertTopic { get; }
    public string EmailTopic { get; }
    public string AlertConsumer { get; }

    /// <summary>Every line the host logged.</summary>
    public RecordingLoggerProvider Logs { get; }

    /// <summary>The guard's resolver: made-up names (*.test) a test maps to addresses.</summary>
    public MappedResolver Names { get; }

    public IServiceProvider Services => host.Services;

    public IEnumerable<string> LogLines => Logs.Lines;

    public static async Task<NotificationHarness> StartAsync(NotificationFixture fixture, int maxAttempts = 40, string backoffSeconds = "0.2,0.5")
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cpdb"] = fixture.ConnectionString,
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
            ["ControlPlane:MasterKey"] = Convert.ToBase64String(fixture.MasterKey),
            [OutboundGuardOptions.AllowedPrivateHostsKey] = "127.0.0.1",
            ["Notification:AlertTopic"] = $"notifications.test-{id}.alert",
            ["Notification:EmailTopic"] = $"notifications.test-{id}.email",
            ["Notification:AlertConsumer"] = $"notify-alerts-{id}",
            ["Notification:EmailConsumer"] = $"notify-emails-{id}",
            ["Notification:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification:BackoffSeconds"] = backoffSeconds,
            ["Notification:SendTimeout"] = "00:00:05",
            ["Notification:AppUrl"] = "https://hh.example",
            ["Notification:Smtp:Host"] = "127.0.0.1",
            ["Notification:Smtp:Port"] = fixture.Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification:Smtp:From"] = "HoneyHive <alerts@hh.example>",
        });
        var logs = new RecordingLoggerProvider();
        var names = new MappedResolver();
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        // Registered before the module, which keeps it (TryAdd): the guard resolves through it.
        builder.Services.AddSingleton<IOutboundResolver>(names);
        builder.AddNotification();
        var app = builder.Build();
        await app.Services.GetRequiredService<JetStreamTopology>().EnsureStreamsAsync(CancellationToken.None);
        await app.StartAsync();
        return new NotificationHarness(app, id, logs, names);
    }

    public Task PublishAsync<T>(string topic, string id, string type, T data, string? messageId = null)
    {
        var envelope = new CloudEvent<T>(id, "/notification-tests", type, data) { Topic = topic, Time = DateTimeOffset.UtcNow };
        return Services.GetRequiredService<IEventPublisher>().PublishAsync(
            new OutgoingMessage(topic, messageId ?? id, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
    }

    public Task PublishAlertAsync(AlertStageChanged change, string? messageId = null) =>
        PublishAsync(AlertTopic, change.Id, AlertStageChanged.EventType, change, messageId);

    /// <summary>Messages of the alert consumer not yet settled (waiting, in flight or deferred).</summary>
    public async Task<ulong> AlertsUnsettledAsync()
    {
        var consumer = await Services.GetRequiredService<INatsJSContext>().GetConsumerAsync(Streams.Notifications, AlertConsumer);
        return consumer.Info.NumPending + (ulong)consumer.Info.NumAckPending;
    }

    /// <summary>The dead letters of <paramref name="topic"/> whose original id is <paramref name="messageId"/>.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> DeadLettersAsync(string topic, string messageId)
    {
        var js = Services.GetRequiredService<INatsJSContext>();
        var subject = Topics.DeadLetterPrefix + topic;
        var info = await js.GetStreamAsync(Streams.DeadLetters, new StreamInfoRequest { SubjectsFilter = subject });
        var result = new List<INatsJSMsg<byte[]>>();
        var pending = info.Info.State.Subjects is { } subjects && subjects.TryGetValue(subject, out var count) ? (long)count : 0;
        if (pending == 0) return result;
        var consumer = await js.CreateOrderedConsumerAsync(Streams.DeadLetters, new NatsJSOrderedConsumerOpts { FilterSubjects = [subject] });
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)pending, Expires = TimeSpan.FromSeconds(5) }, NatsRawSerializer<byte[]>.Default))
        {
            if (msg.Headers?[DeadLetterHeaders.OriginalId].ToString() == messageId) result.Add(msg);
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
