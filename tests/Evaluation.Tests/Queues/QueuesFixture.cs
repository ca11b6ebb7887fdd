using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.Evaluation.Queues;
using HoneyHive.Evaluation.Scores;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Messaging.JetStream;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.Writer;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.Evaluation.Tests.Queues;

/// <summary>
/// The queue routes on a TestServer over real servers: a dpdb of their own on the test PostgreSQL (migrated by the
/// production scripts), the process's one chDB, and the real Writer consuming NATS, so a score published on
/// events.scored is read back from the event store. Events are ingested by publishing event batches, as ingestion does.
/// </summary>
public sealed class QueuesFixture : IAsyncLifetime
{
    private readonly string database = "queues_" + Guid.NewGuid().ToString("N");
    private WebApplication? app;

    public NpgsqlDataSource Dpdb { get; private set; } = null!;
    public ChdbAnalyticsStore Store { get; private set; } = null!;
    public IServiceProvider Services => app!.Services;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestServers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = database }.ConnectionString;
        Dpdb = NpgsqlDataSource.Create(connectionString);
        await PostgresMigrator.MigrateAsync(Dpdb, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        foreach (var tenant in new[] { Callers.A, Callers.B })
        {
            await using var insert = Dpdb.CreateCommand("INSERT INTO projects (id, org_id, workspace_id, name) VALUES ($1, $2, $3, $4)");
            insert.Parameters.AddWithValue(tenant.ProjectId);
            insert.Parameters.AddWithValue(tenant.OrgId);
            insert.Parameters.AddWithValue(tenant.WorkspaceId);
            insert.Parameters.AddWithValue(tenant.ProjectName);
            await insert.ExecuteNonQueryAsync();
        }

        // The process's one chDB connection, shared with the online-evaluation fixtures (each seeds projects of its own).
        Store = await SharedChdb.GetAsync(EvaluationTestData.ChdbFolder);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:dpdb"] = connectionString,
            ["ConnectionStrings:nats"] = TestServers.NatsUrl,
            // A consumer of its own: a rerun never resumes another run's position.
            ["Writer:ConsumerName"] = "queues-test-" + Guid.NewGuid().ToString("N")[..12],
        });
        builder.Services.AddSingleton<IAnalyticsStore>(Store);
        builder.Services.AddSingleton<IObjectStore>(new FileSystemObjectStore(
            Path.Combine(TestServers.DataDirectory, "evaluation-objects"), NullLogger<FileSystemObjectStore>.Instance));
        builder.Services.AddJetStream(TestServers.NatsUrl, "evaluation-tests");
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(CallerAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CallerAuthHandler>(CallerAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddDefinitionStores();
        builder.AddDataPlaneQueries();
        builder.AddWriter();
        builder.Services.AddSingleton<ScorePublisher>();
        builder.AddQueues();
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapQueuesApi();
        await app.Services.GetRequiredService<JetStreamTopology>().EnsureStreamsAsync(CancellationToken.None);
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        await Dpdb.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>A client calling as <paramref name="caller"/> (a key of <see cref="Callers"/>).</summary>
    public HttpClient Client(string caller)
    {
        var client = app!.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", caller);
        return client;
    }

    /// <summary>Ingests events for a project as ingestion does, and waits until the store serves every one.</summary>
    public async Task<IReadOnlyList<string>> IngestAsync(Guid project, IEnumerable<(string Name, JsonObject? Metadata, JsonObject? Metrics)> events)
    {
        var session = Guid.NewGuid().ToString();
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var records = events.Select((e, i) => new EventRecord
        {
            EventId = Guid.NewGuid().ToString(),
            ProjectId = project.ToString(),
            SessionId = session,
            ParentId = session,
            EventType = "model",
            EventName = e.Name,
            StartTime = start + i,
            EndTime = start + i + 1,
            Metadata = e.Metadata ?? [],
            Metrics = e.Metrics ?? [],
            Outputs = new JsonObject { ["content"] = "answer " + i },
        }).ToList();
        var id = "queues-test-" + Guid.NewGuid().ToString("N");
        var envelope = new CloudEvent<EventBatch>(id, "/evaluation-tests", "honeyhive.events.ingested.v1", new EventBatch(project.ToString(), records))
        {
            Topic = Topics.EventsIngested,
            Time = DateTimeOffset.UtcNow,
        };
        await Services.GetRequiredService<IEventPublisher>().PublishAsync(
            new OutgoingMessage(Topics.EventsIngested, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), CancellationToken.None);
        var ids = records.Select(r => r.EventId).ToList();
        var queueEvents = Services.GetRequiredService<QueueEvents>();
        await Eventually.ValueAsync(() => queueEvents.ExistingAsync(project, ids, CancellationToken.None), found => found.Count == ids.Count, "the ingested events in the store");
        return ids;
    }

    /// <summary>A metric of the project, stored as the metrics API stores it.</summary>
    public async Task CreateMetricAsync(Guid project, JsonObject definition)
    {
        var errors = new FieldErrors();
        // Through its JSON text, as a request body arrives (values built in code are not JsonElement-backed).
        var content = MetricDefinition.Normalize(JsonNode.Parse(definition.ToJsonString())!.AsObject(), errors);
        Assert.False(errors.Any, string.Join("; ", errors.ToDictionary().Select(e => e.Key + ": " + string.Join(",", e.Value))));
        await Services.GetRequiredService<MetricStore>().CreateAsync(project, content, CancellationToken.None);
    }

    /// <summary>The event as the API reads it (current revision), or null.</summary>
    public Task<JsonObject?> EventAsync(Guid project, string eventId) =>
        Services.GetRequiredService<EventQueries>().GetAsync(project, eventId, CancellationToken.None);

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

[CollectionDefinition(Name)]
public sealed class QueuesCollection : ICollectionFixture<QueuesFixture>
{
    public const string Name = "queues";
}

/// <summary>
/// The callers of these tests. Keys get the production key principal (ApiKeyIdentity.ToPrincipal); members get the claims
/// an access token gives on the data plane (user id, tenant, the member role's permissions in the project).
/// </summary>
public static class Callers
{
    public static readonly ApiKeyIdentity A = Key("a0000000-0000-4000-8000-00000000000a", "queues-a", ApiScopes.All);
    public static readonly ApiKeyIdentity B = Key("b0000000-0000-4000-8000-00000000000b", "queues-b", ApiScopes.All);
    public static readonly ApiKeyIdentity ReadOnlyA = A with { KeyId = Guid.NewGuid(), Scopes = [ApiScopes.Read] };

    public static readonly Guid Alice = Guid.Parse("a11ce000-0000-4000-8000-000000000001");
    public static readonly Guid Bob = Guid.Parse("b0b00000-0000-4000-8000-000000000002");

    public const string KeyA = "key-a";
    public const string KeyB = "key-b";
    public const string ReadKeyA = "read-key-a";
    public const string AliceA = "alice-a";
    public const string BobA = "bob-a";

    public static ClaimsPrincipal? Principal(string bearer, string scheme) => bearer switch
    {
        KeyA => A.ToPrincipal(scheme),
        KeyB => B.ToPrincipal(scheme),
        ReadKeyA => ReadOnlyA.ToPrincipal(scheme),
        AliceA => Member(Alice, A, scheme),
        BobA => Member(Bob, A, scheme),
        _ => null,
    };

    private static ClaimsPrincipal Member(Guid user, ApiKeyIdentity project, string scheme)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(AccessTokenPrincipal.UserIdClaim, user.ToString()),
            new Claim(ApiKeyIdentity.ProjectIdClaim, project.ProjectId.ToString()),
            new Claim(ApiKeyIdentity.WorkspaceIdClaim, project.WorkspaceId.ToString()),
            new Claim(ApiKeyIdentity.OrgIdClaim, project.OrgId.ToString()),
            new Claim(ApiKeyIdentity.ProjectNameClaim, project.ProjectName),
        ], scheme);
        foreach (var permission in BuiltInRoles.PermissionsOf(BuiltInRoles.Member)!) identity.AddClaim(new Claim(PermissionClaims.Type, permission));
        return new ClaimsPrincipal(identity);
    }

    private static ApiKeyIdentity Key(string project, string name, IReadOnlyList<string> scopes) => new(
        Guid.NewGuid(), Guid.Parse(project), Guid.Parse("99999999-9999-4999-8999-999999999999"),
        Guid.Parse("88888888-8888-4888-8888-888888888888"), name, scopes);
}

/// <summary>Stands in for the data plane's bearer handler (tested with the auth code): the bearer names a caller of <see cref="Callers"/>.</summary>
public sealed class CallerAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return Task.FromResult(AuthenticateResult.NoResult());
        var principal = Callers.Principal(header["Bearer ".Length..], SchemeName);
        return Task.FromResult(principal is null
            ? AuthenticateResult.Fail("unknown caller")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
