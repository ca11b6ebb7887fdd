using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.DataPlane.Api.Infrastructure;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Configurations;

public sealed record StoredConfiguration(Guid Id, int Version, JsonObject Content, DateTime CreatedAt, DateTime? UpdatedAt, DateTime VersionCreatedAt, bool Current);

/// <summary>
/// Prompt configurations in dpdb, scoped by project. A save appends a version row and moves
/// <c>current_version</c>; old versions stay readable.
/// </summary>
public sealed class ConfigurationStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string Select =
        """
        SELECT c.id AS Id, v.version AS Version, v.content::text AS Content, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt,
               v.created_at AS VersionCreatedAt, v.version = c.current_version AS Current
        FROM configurations c JOIN configuration_versions v ON v.configuration_id = c.id
        """;

    public async Task<Guid> CreateAsync(Guid project, JsonObject content, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var name = content["name"]!.GetValue<string>();
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO configurations (id, project_id, name, current_version) VALUES (@id, @project, @name, 1)",
                new { id, project, name }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ApiRequestException.Conflict("name", $"The name '{name}' is already used in this project.");
        }
        await InsertVersionAsync(connection, transaction, id, 1, content, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>Current versions, filtered by name, an environment and tags (all of them).</summary>
    public async Task<IReadOnlyList<StoredConfiguration>> ListAsync(
        Guid project, string? name, string? env, string[]? tags, Guid? id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            Select + """

            WHERE c.project_id = @project AND v.version = c.current_version
              AND (@name::text IS NULL OR c.name = @name)
              AND (@id::uuid IS NULL OR c.id = @id)
              AND (@env::text IS NULL OR v.content->'env' ? @env)
              AND (@tags::text[] IS NULL OR ARRAY(SELECT jsonb_array_elements_text(v.content->'tags')) @> @tags)
            ORDER BY c.created_at, c.id LIMIT @limit
            """,
            new { project, name, env, tags, id, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToConfiguration()).ToList();
    }

    public async Task<StoredConfiguration?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken) =>
        (await ListAsync(project, null, null, null, id, 1, cancellationToken)) is [var first, ..] ? first : null;

    /// <summary>Saves a new current version built from the current one (row locked meanwhile); null when not in the project.</summary>
    public async Task<StoredConfiguration?> AddVersionAsync(Guid project, Guid id, Func<JsonObject, JsonObject> build, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            Select + "\nWHERE c.id = @id AND c.project_id = @project AND v.version = c.current_version FOR UPDATE OF c",
            new { id, project }, transaction, cancellationToken: cancellationToken));
        if (current is null) return null;

        var content = build(JsonNode.Parse(current.Content)!.AsObject());
        var version = current.Version + 1;
        await InsertVersionAsync(connection, transaction, id, version, content, cancellationToken);
        var name = content["name"]!.GetValue<string>();
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE configurations SET current_version = @version, name = @name, updated_at = now() WHERE id = @id",
                new { id, version, name }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ApiRequestException.Conflict("name", $"The name '{name}' is already used in this project.");
        }
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(project, id, cancellationToken);
    }

    /// <summary>The newest <paramref name="limit"/> versions, oldest first; null when the configuration is not in the project.</summary>
    public async Task<IReadOnlyList<StoredConfiguration>?> ListVersionsAsync(Guid project, Guid id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
            Select + "\nWHERE c.id = @id AND c.project_id = @project ORDER BY v.version DESC LIMIT @limit",
            new { id, project, limit }, cancellationToken: cancellationToken))).ToList();
        return rows.Count == 0 ? null : rows.Select(r => r.ToConfiguration()).OrderBy(c => c.Version).ToList();
    }

    public async Task<StoredConfiguration?> GetVersionAsync(Guid project, Guid id, int version, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            Select + "\nWHERE c.id = @id AND c.project_id = @project AND v.version = @version",
            new { id, project, version }, cancellationToken: cancellationToken));
        return row?.ToConfiguration();
    }

    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM configurations WHERE id = @id AND project_id = @project", new { id, project }, cancellationToken: cancellationToken)) > 0;
    }

    private static Task InsertVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, int version, JsonObject content, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO configuration_versions (configuration_id, version, content) VALUES (@id, @version, @json::jsonb)",
            new { id, version, json = content.ToJsonString() }, transaction, cancellationToken: cancellationToken));

    private sealed class Row
    {
        public Guid Id { get; set; }
        public int Version { get; set; }
        public string Content { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime? UpdatedAt { get; set; }
        public DateTime VersionCreatedAt { get; set; }
        public bool Current { get; set; }

        public StoredConfiguration ToConfiguration() =>
            new(Id, Version, JsonNode.Parse(Content)!.AsObject(), CreatedAt, UpdatedAt, VersionCreatedAt, Current);
    }
}
