using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Security;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>A project as the data plane sees it: its key and the ids its rows carry.</summary>
public sealed record Tenant(string Key, string ProjectId, string ProjectName, string WorkspaceId, string OrgId);

/// <summary>One of everything a project owns, created through the API with the project's key.</summary>
public sealed record TenantObjects(
    string Marker,
    string RunId,
    string SessionId,
    string EventId,
    string BigEventId,
    string DatasetId,
    string DatapointId,
    string MetricId,
    string MetricName,
    string ConfigurationId,
    string ConfigurationName,
    string Provider,
    string MaskedSecret,
    string ChartId,
    string AliasName,
    string QueueId,
    string AlertId);

/// <summary>
/// The Host with the route listing on (Diagnostics:ListRoutes) and two tenants: project A (the
/// bootstrap's) and project B in an org and workspace of its own, created the way the control plane
/// keeps them (rows in cpdb that the controllers sync to the data plane). Each owns one of everything.
/// </summary>
public sealed class TenancyHost : HostProcess
{
    private JwksServer? jwks;

    public TenancyHost()
    {
        ExtraEnvironment["Diagnostics__ListRoutes"] = "true";
    }

    /// <summary>
    /// The key the Host's data plane trusts for access tokens: served as its JWKS (Auth:Tokens:JwksUrl) by a server of
    /// the fixture's, as the CP serves its own. The DP cannot tell the difference, which is the point. Tokens live long
    /// enough for the whole collection.
    /// </summary>
    public TestTokens Tokens { get; } = new(new HoneyHive.ServiceDefaults.Auth.AccessTokenOptions { Lifetime = TimeSpan.FromHours(2) });

    /// <summary>What a project admin holds in their project (everything but org ownership).</summary>
    public static IReadOnlyList<string> ProjectAdmin { get; } = HoneyHive.ServiceDefaults.Auth.BuiltInRoles.PermissionsOf(HoneyHive.ServiceDefaults.Auth.BuiltInRoles.Admin)!;

    /// <summary>An access token of a user whose grants reach <paramref name="tenant"/>'s project only.</summary>
    public string TokenFor(Tenant tenant, IEnumerable<string>? permissions = null) =>
        Tokens.Mint(Guid.NewGuid(), [new(HoneyHive.ServiceDefaults.Auth.GrantScopes.Project, Guid.Parse(tenant.ProjectId), [.. permissions ?? ProjectAdmin])]);

    /// <summary>A DP client with an access token of <paramref name="tenant"/>'s project, naming <paramref name="project"/> in x-hh-project-id when given.</summary>
    public HttpClient TokenApi(Tenant tenant, string? project = null)
    {
        var client = Client(DataPlaneApi, TokenFor(tenant));
        if (project is not null) client.DefaultRequestHeaders.Add(HoneyHive.ServiceDefaults.Auth.DataPlaneAuthenticator.ProjectHeader, project);
        return client;
    }

    public Tenant A { get; private set; } = null!;
    public Tenant B { get; private set; } = null!;
    public TenantObjects OfA { get; private set; } = null!;
    public TenantObjects OfB { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        jwks = await JwksServer.StartAsync(Tokens);
        ExtraEnvironment["Auth__Tokens__JwksUrl"] = jwks.Url.ToString();
        await base.InitializeAsync();
        var bootstrap = ReadBootstrap();
        A = new Tenant(ApiKey, ProjectId, bootstrap.GetProperty("project_name").GetString()!,
            bootstrap.GetProperty("workspace_id").GetString()!, bootstrap.GetProperty("org_id").GetString()!);
        B = await CreateTenantAsync();
        OfA = await SeedAsync(A, "amark" + Guid.NewGuid().ToString("N")[..16]);
        OfB = await SeedAsync(B, "bmark" + Guid.NewGuid().ToString("N")[..16]);
    }

    public HttpClient Api(Tenant tenant) => Client(DataPlaneApi, tenant.Key);

    /// <summary>Sends one request; the status and the body text.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonNode> OkAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        var (status, text) = await SendAsync(client, method, url, body is null ? null : JsonSerializer.Serialize(body));
        if (status != HttpStatusCode.OK) throw new InvalidOperationException($"{method} {url} answered {(int)status}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>An org, workspace, project and an ingest/read/write/admin key (its seed sets a provider secret) in cpdb, as an admin would create them; waits until the DP knows the key.</summary>
    private async Task<Tenant> CreateTenantAsync()
    {
        var org = Guid.CreateVersion7();
        var dataplane = Guid.CreateVersion7();
        var workspace = Guid.CreateVersion7();
        var project = Guid.CreateVersion7();
        var name = "tenant-b-" + Guid.NewGuid().ToString("N")[..12];
        var key = ApiKeys.Generate();
        await using (var cpdb = new NpgsqlConnection(CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var batch = new NpgsqlBatch(cpdb)
            {
                BatchCommands =
                {
                    Command("INSERT INTO orgs (id, name) VALUES ($1, $2)", org, name + "-org"),
                    Command("INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES ($1, $2, 'default', $3)", dataplane, org, name + "-vdp"),
                    Command("INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES ($1, $2, $3, $4, $5)", workspace, org, dataplane, name + "-ws", name + "-ws"),
                    Command("INSERT INTO projects (id, workspace_id, name) VALUES ($1, $2, $3)", project, workspace, name),
                    Command("INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes) VALUES ($1, $2, 'tenancy', $3, $4, $5)",
                        Guid.NewGuid(), project, ApiKeys.DisplayPrefix(key), ApiKeys.Hash(key), new[] { "ingest", "read", "write", "admin" }),
                },
            };
            await batch.ExecuteNonQueryAsync();
        }

        var tenant = new Tenant(key, project.ToString(), name, workspace.ToString(), org.ToString());
        using var client = Api(tenant);
        // The key and project reach the DP through the controllers' sync.
        await Eventually.ValueAsync(
            async () => await SendAsync(client, HttpMethod.Get, "/v1/projects"),
            r => r.Status == HttpStatusCode.OK && r.Body.Contains(tenant.ProjectId, StringComparison.Ordinal),
            "project B's key to work on the data plane");
        return tenant;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>
    /// A run, a session with a model event and an event whose inputs the Writer moves to the object
    /// store (both tagged with the run), a dataset with a datapoint, a metric, a configuration, a saved
    /// chart, a provider secret and a model alias, every one carrying <paramref name="marker"/>; waits until the Writer stored the events.
    /// </summary>
    private async Task<TenantObjects> SeedAsync(Tenant tenant, string marker)
    {
        using var client = Api(tenant);
        var dataset = Str((await OkAsync(client, HttpMethod.Post, "/v1/datasets", new { name = marker + "-dataset", description = marker }))["result"]!["insertedId"]);
        var datapoint = Str((await OkAsync(client, HttpMethod.Post, "/v1/datapoints",
            new { inputs = new { q = marker }, ground_truth = new { a = marker }, linked_datasets = new[] { dataset } }))["result"]!["insertedId"]);
        var run = Str((await OkAsync(client, HttpMethod.Post, "/v1/runs",
            new { name = marker + "-run", dataset_id = dataset, datapoint_ids = new[] { datapoint }, metadata = new { marker } }))["run_id"]);
        var session = Str((await OkAsync(client, HttpMethod.Post, "/v1/sessions",
            new { session_name = marker + "-session", metadata = new { marker, run_id = run }, user_properties = new { owner = marker } }))["session_id"]);
        var metadata = new JsonObject { ["run_id"] = run, ["datapoint_id"] = datapoint, ["dataset_id"] = dataset, [marker + "_key"] = 1 };
        var evt = Str((await OkAsync(client, HttpMethod.Post, "/v1/events", new JsonObject
        {
            ["event_type"] = "model", ["event_name"] = marker + "-event", ["session_id"] = session, ["parent_id"] = session,
            ["inputs"] = new JsonObject { ["prompt"] = marker }, ["outputs"] = new JsonObject { ["content"] = marker },
            ["metadata"] = metadata, ["metrics"] = new JsonObject { [marker + "_score"] = 0.5 }, ["feedback"] = new JsonObject { ["rating"] = 1 },
        }))["event_id"]);
        // Above the Writer's 64 KiB large-payload threshold, so these inputs live in the object store.
        var big = Str((await OkAsync(client, HttpMethod.Post, "/v1/events", new JsonObject
        {
            ["event_type"] = "tool", ["event_name"] = marker + "-big", ["session_id"] = session, ["parent_id"] = evt,
            ["inputs"] = new JsonObject { ["blob"] = marker + new string('x', 70_000) }, ["metadata"] = metadata.DeepClone(),
        }))["event_id"]);
        var metric = Str((await OkAsync(client, HttpMethod.Post, "/v1/metrics",
            new { name = marker + "-metric", type = "PYTHON", criteria = "def metric(event):\n    return 1.0", description = marker }))["metric_id"]);
        var configuration = Str((await OkAsync(client, HttpMethod.Post, "/v1/configurations", new
        {
            name = marker + "-config", provider = "openai", env = new[] { "dev" }, tags = new[] { marker }, user_properties = new { owner = marker },
            parameters = new { call_type = "chat", model = "gpt-4o", template = new[] { new { role = "system", content = marker } } },
        }))["insertedId"]);
        var chart = Str((await OkAsync(client, HttpMethod.Post, "/v1/charts", new
        {
            name = marker + "-chart", description = marker, metric = "cost", func = "sum", owner_id = marker,
            query = new[] { new { field = "metadata.marker", @operator = "is", value = marker, type = "string" } },
        }))["data"]!["id"]);
        var provider = "prov-" + Guid.NewGuid().ToString("N")[..10];
        var masked = Str((await OkAsync(client, HttpMethod.Put, $"/v1/provider-secrets/{provider}", new { value = "sk-" + marker + Guid.NewGuid().ToString("N")[..4] }))["masked_value"]);
        var alias = Str((await OkAsync(client, HttpMethod.Put, $"/v1/model-aliases/{marker}-alias", new { targets = new[] { $"{provider}/{marker}-model" } }))["name"]);

        foreach (var id in new[] { evt, big })
        {
            await Eventually.ValueAsync(
                async () => (await SendAsync(client, HttpMethod.Get, $"/v1/events/{id}")).Status,
                s => s == HttpStatusCode.OK, $"the Writer to store event {id} of {tenant.ProjectName}");
        }
        // The session event comes through the Writer too; the tree has it as root once stored.
        await Eventually.ValueAsync(
            async () => await SendAsync(client, HttpMethod.Get, $"/v1/sessions/{session}"),
            r => r.Status == HttpStatusCode.OK && r.Body.Contains(marker + "-session", StringComparison.Ordinal),
            $"the Writer to store session {session}");

        // An annotation queue holding the project's event (its creation checks the event is stored, so it comes last).
        var (queueStatus, queueBody) = await SendAsync(client, HttpMethod.Post, "/v1/queues",
            JsonSerializer.Serialize(new { name = marker + "-queue", description = marker, event_ids = new[] { evt } }));
        if (queueStatus != HttpStatusCode.Created) throw new InvalidOperationException($"POST /v1/queues answered {(int)queueStatus}: {queueBody}");
        var queue = Str(JsonNode.Parse(queueBody)!["queue"]!["id"]);

        var alert = await AlertAsync(tenant, marker, client);

        return new TenantObjects(marker, run, session, evt, big, dataset, datapoint, metric, marker + "-metric",
            configuration, marker + "-config", provider, masked, chart, alias, queue, alert);
    }

    /// <summary>
    /// A paused alert of the project (paused: the engine leaves it alone, so its history reads the same throughout), written
    /// to cpdb as the CP's alert routes store it and to dpdb as the controllers' sync applies it, so its DP route answers
    /// whether or not this build's sync carries alerts yet; waits until the project's key reads it.
    /// </summary>
    private async Task<string> AlertAsync(Tenant tenant, string marker, HttpClient client)
    {
        var id = Guid.CreateVersion7();
        var thresholds = new JsonObject
        {
            ["critical"] = new JsonObject { ["operator"] = "greater_than", ["value"] = 1 },
            ["resolved"] = new JsonObject { ["operator"] = "less_than", ["value"] = 0.5 },
        };
        await using (var cpdb = new NpgsqlConnection(CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO alerts (id, project_id, name, status, frequency, alert_type, aggregation, thresholds, notification_details)
                VALUES ($1, $2, $3, 'PAUSED', 'HOURLY', 'AGGREGATE', 'AVERAGE', $4::jsonb, '{}')
                """, cpdb);
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(tenant.ProjectId) });
            insert.Parameters.Add(new NpgsqlParameter { Value = marker + "-alert" });
            insert.Parameters.Add(new NpgsqlParameter { Value = thresholds.ToJsonString() });
            await insert.ExecuteNonQueryAsync();
        }
        var definition = new JsonObject
        {
            ["id"] = id.ToString(), ["project_id"] = tenant.ProjectId, ["name"] = marker + "-alert", ["alert_type"] = "AGGREGATE",
            ["frequency"] = "HOURLY", ["aggregation"] = "AVERAGE", ["minimum_sample_size"] = 0, ["event_filters"] = new JsonArray(),
            ["metric"] = "duration", ["thresholds"] = thresholds.DeepClone(), ["status"] = "PAUSED", ["muted_until"] = null,
            ["recovery_seconds"] = 0, ["updated_at"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        await using (var dpdb = new NpgsqlConnection(DpdbConnectionString))
        {
            await dpdb.OpenAsync();
            await using var upsert = new NpgsqlCommand(
                "INSERT INTO alerts (id, project_id, definition) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING", dpdb);
            upsert.Parameters.Add(new NpgsqlParameter { Value = id });
            upsert.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(tenant.ProjectId) });
            upsert.Parameters.Add(new NpgsqlParameter { Value = definition.ToJsonString() });
            await upsert.ExecuteNonQueryAsync();
        }
        await Eventually.ValueAsync(
            async () => (await SendAsync(client, HttpMethod.Get, $"/v1/alerts/{id}/transitions")).Status,
            s => s == HttpStatusCode.OK, $"alert {id} of {tenant.ProjectName} on the data plane");
        return id.ToString();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (jwks is not null) await jwks.DisposeAsync();
        Tokens.Dispose();
    }

    private static string Str(JsonNode? node) => node?.GetValue<string>() ?? throw new InvalidOperationException("An id is missing from a response.");
}

/// <summary>One Host with both tenants for the matrix and the limit tests.</summary>
[CollectionDefinition(Name)]
public sealed class TenancyCollection : ICollectionFixture<TenancyHost>
{
    public const string Name = "tenancy";
}
