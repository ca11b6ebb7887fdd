using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.DataPlane.Api.Infrastructure;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Metrics;

public sealed record StoredMetric(Guid Id, JsonObject Content, DateTime CreatedAt, DateTime? UpdatedAt, int DeployedVersion);

public sealed record StoredMetricVersion(int Version, string FullSha, string Message, DateTime CreatedAt, bool Deployed, JsonObject Content);

/// <summary>
/// Metrics in dpdb, always scoped by project. A metric is a pointer to its deployed version;
/// every save appends an immutable <c>metric_versions</c> row, so nothing is ever overwritten.
/// </summary>
public sealed class MetricStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string CurrentSelect =
        """
        SELECT m.id AS Id, m.created_at AS CreatedAt, m.updated_at AS UpdatedAt, m.deployed_version AS DeployedVersion, v.content::text AS Content
        FROM metrics m JOIN metric_versions v ON v.metric_id = m.id AND v.version = m.deployed_version
        """;

    private const string VersionSelect =
        """
        SELECT v.version AS Version, v.full_sha AS FullSha, v.message AS Message, v.created_at AS CreatedAt,
               v.version = m.deployed_version AS Deployed, v.content::text AS Content
        FROM metric_versions v JOIN metrics m ON m.id = v.metric_id
        """;

    /// <summary>A new metric whose version 1 is deployed.</summary>
    public async Task<Guid> CreateAsync(Guid project, JsonObject content, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var name = content["name"]!.GetValue<string>();
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO metrics (id, project_id, name, deployed_version, latest_version) VALUES (@id, @project, @name, 1, 1)",
                new { id, project, name }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ApiRequestException.Conflict("name", $"The name '{name}' is already used in this project.");
        }
        await InsertVersionAsync(connection, transaction, id, 1, content, "Created", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task<IReadOnlyList<StoredMetric>> ListAsync(Guid project, string? type, Guid? id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<MetricRow>(new CommandDefinition(
            CurrentSelect + """

            WHERE m.project_id = @project AND (@type::text IS NULL OR v.content->>'type' = @type) AND (@id::uuid IS NULL OR m.id = @id)
            ORDER BY m.created_at, m.id LIMIT @limit
            """,
            new { project, type, id, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToMetric()).ToList();
    }

    public async Task<StoredMetric?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken) =>
        (await ListAsync(project, null, id, 1, cancellationToken)) is [var first, ..] ? first : null;

    /// <summary>The project's metric of that name (names are unique per project), at its deployed version; null when there is none.</summary>
    public async Task<StoredMetric?> GetByNameAsync(Guid project, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<MetricRow>(new CommandDefinition(
            CurrentSelect + "\nWHERE m.project_id = @project AND m.name = @name", new { project, name }, cancellationToken: cancellationToken));
        return row?.ToMetric();
    }

    /// <summary>
    /// Appends a version built from the deployed definition by <paramref name="build"/> (which may
    /// throw <see cref="ApiRequestException"/>); the metric row is locked meanwhile, so two
    /// edits cannot both build on the same base. Null when the metric is not in the project.
    /// </summary>
    public async Task<StoredMetricVersion?> AddVersionAsync(
        Guid project, Guid id, Func<JsonObject, JsonObject> build, string message, bool deploy, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<LockedRow>(new CommandDefinition(
            """
            SELECT m.latest_version AS LatestVersion, v.content::text AS Content
            FROM metrics m JOIN metric_versions v ON v.metric_id = m.id AND v.version = m.deployed_version
            WHERE m.id = @id AND m.project_id = @project
            FOR UPDATE OF m
            """,
            new { id, project }, transaction, cancellationToken: cancellationToken));
        if (current is null) return null;

        var content = build(JsonNode.Parse(current.Content)!.AsObject());
        var version = current.LatestVersion + 1;
        var sha = await InsertVersionAsync(connection, transaction, id, version, content, message, cancellationToken);
        var name = content["name"]!.GetValue<string>();
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                deploy
                    ? "UPDATE metrics SET latest_version = @version, deployed_version = @version, name = @name, updated_at = now() WHERE id = @id"
                    : "UPDATE metrics SET latest_version = @version, updated_at = now() WHERE id = @id",
                new { id, version, name }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ApiRequestException.Conflict("name", $"The name '{name}' is already used in this project.");
        }
        await transaction.CommitAsync(cancellationToken);
        return new StoredMetricVersion(version, sha, message, DateTime.UtcNow, deploy, content);
    }

    /// <summary>The newest <paramref name="limit"/> versions, oldest first; null when the metric is not in the project.</summary>
    public async Task<IReadOnlyList<StoredMetricVersion>?> ListVersionsAsync(Guid project, Guid id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            VersionSelect + """

            WHERE m.id = @id AND m.project_id = @project
            ORDER BY v.version DESC LIMIT @limit
            """,
            new { id, project, limit }, cancellationToken: cancellationToken))).ToList();
        // Every metric has at least its first version, so no rows means no such metric here.
        return rows.Count == 0 ? null : rows.Select(r => r.ToVersion()).OrderBy(v => v.Version).ToList();
    }

    public async Task<StoredMetricVersion?> GetVersionAsync(Guid project, Guid id, string versionName, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            VersionSelect + "\nWHERE m.id = @id AND m.project_id = @project AND (v.version = @number OR v.full_sha = @name)",
            new { id, project, number = VersionNumber(versionName), name = versionName }, cancellationToken: cancellationToken));
        return row?.ToVersion();
    }

    /// <summary>Makes the named version the live one; null when the metric or the version is not there.</summary>
    public async Task<StoredMetricVersion?> DeployAsync(Guid project, Guid id, string versionName, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            VersionSelect + "\nWHERE m.id = @id AND m.project_id = @project AND (v.version = @number OR v.full_sha = @name) FOR UPDATE OF m",
            new { id, project, number = VersionNumber(versionName), name = versionName }, transaction, cancellationToken: cancellationToken));
        if (row is null) return null;
        var version = row.ToVersion() with { Deployed = true };
        var name = version.Content["name"]!.GetValue<string>();
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE metrics SET deployed_version = @version, name = @name, updated_at = now() WHERE id = @id",
                new { id, version = version.Version, name }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ApiRequestException.Conflict("name", $"The name '{name}' is already used in this project.");
        }
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM metrics WHERE id = @id AND project_id = @project", new { id, project }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>"v3" or "3" name version 3; anything else can only match a full_sha.</summary>
    private static int VersionNumber(string name)
    {
        var digits = name.StartsWith('v') ? name[1..] : name;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : -1;
    }

    private static async Task<string> InsertVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, int version, JsonObject content, string message, CancellationToken cancellationToken)
    {
        var json = content.ToJsonString();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{id}\n{version}\n{json}")));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO metric_versions (metric_id, version, full_sha, message, content) VALUES (@id, @version, @sha, @message, @json::jsonb)",
            new { id, version, sha, message, json }, transaction, cancellationToken: cancellationToken));
        return sha;
    }

    private sealed class MetricRow
    {
        public Guid Id { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime? UpdatedAt { get; set; }
        public int DeployedVersion { get; set; }
        public string Content { get; set; } = "";

        public StoredMetric ToMetric() => new(Id, JsonNode.Parse(Content)!.AsObject(), CreatedAt, UpdatedAt, DeployedVersion);
    }

    private sealed class LockedRow
    {
        public int LatestVersion { get; set; }
        public string Content { get; set; } = "";
    }

    private sealed class VersionRow
    {
        public int Version { get; set; }
        public string FullSha { get; set; } = "";
        public string Message { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public bool Deployed { get; set; }
        public string Content { get; set; } = "";

        public StoredMetricVersion ToVersion() => new(Version, FullSha, Message, CreatedAt, Deployed, JsonNode.Parse(Content)!.AsObject());
    }
}
