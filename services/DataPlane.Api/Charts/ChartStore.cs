using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.DataPlane.Api.Metrics;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Charts;

public sealed record StoredChart(Guid Id, JsonObject Content, DateTime CreatedAt, DateTime? UpdatedAt)
{
    /// <summary>
    /// The spec's chart object (GetChartResponseData and its siblings): every required key present,
    /// null where nothing was set, as the response schemas declare them nullable.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = Id.ToString(),
        ["name"] = Content["name"]?.DeepClone(),
        ["description"] = Content["description"]?.DeepClone(),
        ["metric"] = Content["metric"]?.DeepClone(),
        ["func"] = Content["func"]?.DeepClone(),
        ["groupBy"] = Content["groupBy"]?.DeepClone(),
        ["bucketing"] = Content["bucketing"]?.DeepClone() ?? "day",
        ["dateRange"] = Content["dateRange"]?.DeepClone(),
        ["query"] = Content["query"]?.DeepClone(),
        ["owner_id"] = Content["owner_id"]?.DeepClone(),
        ["owner_profile"] = null,
        ["is_active"] = true,
        ["created_at"] = MetricViews.Timestamp(CreatedAt),
        ["updated_at"] = UpdatedAt is { } updated ? MetricViews.Timestamp(updated) : null,
    };
}

/// <summary>Saved chart configurations in dpdb; every statement is scoped by the caller's project.</summary>
public sealed class ChartStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string Select = "SELECT id AS Id, content::text AS Content, created_at AS CreatedAt, updated_at AS UpdatedAt FROM charts";

    public async Task<StoredChart> CreateAsync(Guid project, JsonObject content, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            "INSERT INTO charts (id, project_id, content) VALUES (@id, @project, @content::jsonb) RETURNING id AS Id, content::text AS Content, created_at AS CreatedAt, updated_at AS UpdatedAt",
            new { id = Guid.CreateVersion7(), project, content = content.ToJsonString() }, cancellationToken: cancellationToken));
        return row.ToChart();
    }

    /// <summary>The project's charts, oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<StoredChart>> ListAsync(Guid project, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            Select + " WHERE project_id = @project ORDER BY created_at, id LIMIT @limit", new { project, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToChart())];
    }

    public async Task<StoredChart?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            Select + " WHERE project_id = @project AND id = @id", new { project, id }, cancellationToken: cancellationToken));
        return row?.ToChart();
    }

    /// <summary>Merges <paramref name="changes"/> (top-level keys) into the chart; null when the project has no such chart.</summary>
    public async Task<StoredChart?> UpdateAsync(Guid project, Guid id, JsonObject changes, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            """
            UPDATE charts SET content = content || @changes::jsonb, updated_at = now()
            WHERE project_id = @project AND id = @id
            RETURNING id AS Id, content::text AS Content, created_at AS CreatedAt, updated_at AS UpdatedAt
            """,
            new { project, id, changes = changes.ToJsonString() }, cancellationToken: cancellationToken));
        return row?.ToChart();
    }

    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM charts WHERE project_id = @project AND id = @id", new { project, id }, cancellationToken: cancellationToken)) > 0;
    }

    private sealed class Row
    {
        public Guid Id { get; set; }
        public string Content { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime? UpdatedAt { get; set; }

        public StoredChart ToChart() => new(Id, JsonNode.Parse(Content)!.AsObject(), CreatedAt, UpdatedAt);
    }
}
