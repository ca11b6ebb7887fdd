using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>A validated run list request (GET /v1/runs).</summary>
public sealed record RunListQuery(
    string? DatasetId,
    IReadOnlyList<Guid>? RunIds,
    string? Name,
    string? Status,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string SortColumn,
    bool Descending,
    int Page,
    int Limit);

/// <summary>A page of runs: the rows, how many match, and how many the project holds.</summary>
public sealed record RunPage(IReadOnlyList<Run> Runs, long Total, long TotalUnfiltered);

/// <summary>The runs table of dpdb. Every statement is scoped by the caller's project.</summary>
public sealed class RunStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string Columns = """
        id AS Id, project_id AS ProjectId, name AS Name, description AS Description, status AS Status, dataset_id AS DatasetId,
        event_ids AS EventIds, session_ids AS SessionIds, datapoint_ids AS DatapointIds, metadata::text AS Metadata,
        results::text AS Results, configuration::text AS Configuration, evaluators::text AS Evaluators,
        passing_ranges::text AS PassingRanges, is_active AS IsActive, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Sort keys a request may name, mapped to column constants (never user text in SQL).</summary>
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
        ["name"] = "name",
        ["status"] = "status",
    };

    /// <summary>Inserts the run; null when <see cref="RunChanges.RunId"/> is already taken in the project.</summary>
    public async Task<Run?> CreateAsync(Guid project, RunChanges changes, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"""
            INSERT INTO runs (id, project_id, name, description, status, dataset_id, event_ids, session_ids, datapoint_ids,
                              metadata, results, configuration, evaluators, passing_ranges)
            VALUES (@id, @project, @name, @description, @status, @datasetId, @eventIds, @sessionIds, @datapointIds,
                    @metadata::jsonb, @results::jsonb, @configuration::jsonb, @evaluators::jsonb, @passingRanges::jsonb)
            ON CONFLICT (project_id, id) DO NOTHING
            RETURNING {Columns}
            """,
            new
            {
                id = changes.RunId ?? Guid.NewGuid(),
                project,
                name = changes.Name,
                description = changes.Description,
                status = changes.Status ?? "pending",
                datasetId = changes.DatasetId,
                eventIds = (changes.EventIds ?? []).ToArray(),
                sessionIds = (changes.SessionIds ?? []).ToArray(),
                datapointIds = (changes.DatapointIds ?? []).ToArray(),
                metadata = Text(changes.Metadata) ?? "{}",
                results = Text(changes.Results) ?? "{}",
                configuration = Text(changes.Configuration) ?? "{}",
                evaluators = Text(changes.Evaluators) ?? "[]",
                passingRanges = changes.PassingRanges is null ? "{}" : PassingRange.ToJson(changes.PassingRanges).ToJsonString(),
            },
            cancellationToken: cancellationToken));
        return row?.ToRun();
    }

    public async Task<Run?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {Columns} FROM runs WHERE id = @id AND project_id = @project", new { id, project }, cancellationToken: cancellationToken));
        return row?.ToRun();
    }

    /// <summary>
    /// Applies the fields sent: metadata, results and configuration are merged key by key (as the
    /// event API merges its buckets), everything else is replaced. Null when the run is not the project's.
    /// </summary>
    public async Task<Run?> UpdateAsync(Guid project, Guid id, RunChanges changes, CancellationToken cancellationToken)
    {
        var set = new List<string> { "updated_at = now()" };
        var parameters = new DynamicParameters(new { id, project });
        void Set(string assignment, string name, object? value)
        {
            set.Add(assignment);
            parameters.Add(name, value);
        }

        if (changes.Name is not null) Set("name = @name", "name", changes.Name);
        if (changes.Description is not null || changes.ClearDescription) Set("description = @description", "description", changes.Description);
        if (changes.Status is not null) Set("status = @status", "status", changes.Status);
        if (changes.DatasetId is not null || changes.ClearDataset) Set("dataset_id = @datasetId", "datasetId", changes.DatasetId);
        if (changes.EventIds is not null) Set("event_ids = @eventIds", "eventIds", changes.EventIds.ToArray());
        if (changes.SessionIds is not null) Set("session_ids = @sessionIds", "sessionIds", changes.SessionIds.ToArray());
        if (changes.DatapointIds is not null) Set("datapoint_ids = @datapointIds", "datapointIds", changes.DatapointIds.ToArray());
        if (changes.Metadata is not null) Set("metadata = metadata || @metadata::jsonb", "metadata", Text(changes.Metadata));
        if (changes.Results is not null) Set("results = results || @results::jsonb", "results", Text(changes.Results));
        if (changes.Configuration is not null) Set("configuration = configuration || @configuration::jsonb", "configuration", Text(changes.Configuration));
        if (changes.Evaluators is not null) Set("evaluators = @evaluators::jsonb", "evaluators", Text(changes.Evaluators));
        if (changes.PassingRanges is not null)
            Set("passing_ranges = @passingRanges::jsonb", "passingRanges", PassingRange.ToJson(changes.PassingRanges).ToJsonString());

        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"UPDATE runs SET {string.Join(", ", set)} WHERE id = @id AND project_id = @project RETURNING {Columns}",
            parameters, cancellationToken: cancellationToken));
        return row?.ToRun();
    }

    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM runs WHERE id = @id AND project_id = @project", new { id, project }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<RunPage> ListAsync(Guid project, RunListQuery query, CancellationToken cancellationToken)
    {
        const string where = """
            project_id = @project
              AND (@datasetId::text IS NULL OR dataset_id = @datasetId)
              AND (@runIds::uuid[] IS NULL OR id = ANY(@runIds))
              AND (@name::text IS NULL OR strpos(lower(coalesce(name, '')), lower(@name)) > 0)
              AND (@status::text IS NULL OR status = @status)
              AND (@from::timestamptz IS NULL OR created_at >= @from)
              AND (@to::timestamptz IS NULL OR created_at <= @to)
            """;
        var parameters = new
        {
            project,
            datasetId = query.DatasetId,
            runIds = query.RunIds?.ToArray(),
            name = query.Name,
            status = query.Status,
            from = query.From,
            to = query.To,
            limit = query.Limit,
            offset = (long)(query.Page - 1) * query.Limit,
        };
        var direction = query.Descending ? "DESC" : "ASC";
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRow>(new CommandDefinition(
            $"SELECT {Columns} FROM runs WHERE {where} ORDER BY {query.SortColumn} {direction} NULLS LAST, id {direction} LIMIT @limit OFFSET @offset",
            parameters, cancellationToken: cancellationToken));
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM runs WHERE {where}", parameters, cancellationToken: cancellationToken));
        var unfiltered = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM runs WHERE project_id = @project", new { project }, cancellationToken: cancellationToken));
        return new RunPage([.. rows.Select(r => r.ToRun())], total, unfiltered);
    }

    /// <summary>The dataset ids the project's runs name (for the runs schema).</summary>
    public async Task<IReadOnlyList<string>> DatasetIdsAsync(Guid project, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT dataset_id FROM runs WHERE project_id = @project AND dataset_id IS NOT NULL ORDER BY 1 LIMIT 10000",
            new { project }, cancellationToken: cancellationToken));
        return [.. ids];
    }

    private static string? Text(JsonNode? node) => node?.ToJsonString();

    private sealed class RunRow
    {
        public Guid Id { get; init; }
        public Guid ProjectId { get; init; }
        public string? Name { get; init; }
        public string? Description { get; init; }
        public string Status { get; init; } = "pending";
        public string? DatasetId { get; init; }
        public string[] EventIds { get; init; } = [];
        public string[] SessionIds { get; init; } = [];
        public string[] DatapointIds { get; init; } = [];
        public string Metadata { get; init; } = "{}";
        public string Results { get; init; } = "{}";
        public string Configuration { get; init; } = "{}";
        public string Evaluators { get; init; } = "[]";
        public string PassingRanges { get; init; } = "{}";
        public bool IsActive { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public Run ToRun() => new(
            Id, ProjectId, Name, Description, Status, DatasetId, EventIds, SessionIds, DatapointIds,
            ParseObject(Metadata), ParseObject(Results), ParseObject(Configuration),
            JsonNode.Parse(Evaluators) as JsonArray ?? [],
            PassingRange.Parse(JsonNode.Parse(PassingRanges)) ?? new Dictionary<string, PassingRange>(),
            IsActive, CreatedAt, UpdatedAt);

        private static JsonObject ParseObject(string text) =>
            JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) as JsonObject ?? [];
    }
}
