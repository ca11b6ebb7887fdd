using Dapper;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>Filters of <c>GET /datasets</c>; null means any.</summary>
public sealed record DatasetFilter(Guid? Id, string? Name, string? Type);

/// <summary>Datasets of one project in dpdb. Every statement is scoped by the caller's project.</summary>
public sealed class DatasetStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string Select = """
        SELECT d.id AS Id, d.name AS Name, d.description AS Description, d.type AS Type, d.pipeline_type AS PipelineType,
               d.linked_evals AS LinkedEvals, d.metadata::text AS Metadata, d.created_at AS CreatedAt, d.updated_at AS UpdatedAt,
               ARRAY(SELECT l.datapoint_id::text FROM dataset_datapoints l WHERE l.dataset_id = d.id ORDER BY l.position) AS Datapoints
        FROM datasets d
        """;

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<DatasetRow>> ListAsync(Guid project, DatasetFilter filter, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            Select + """

                WHERE d.project_id = @project
                  AND (@id::uuid IS NULL OR d.id = @id)
                  AND (@name::text IS NULL OR d.name = @name)
                  AND (@type::text IS NULL OR d.type = @type)
                ORDER BY d.created_at DESC, d.id DESC
                LIMIT @limit OFFSET @offset
                """,
            new { project, id = filter.Id, name = filter.Name, type = filter.Type, limit, offset }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<DatasetRow?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, project, id, cancellationToken);
    }

    /// <summary>Creates the dataset with its initial datapoints (which must be the project's).</summary>
    public async Task<Guid> CreateAsync(Guid project, DatasetInput input, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Membership.EnsureDatapointsAsync(connection, transaction, project, input.Datapoints, "datapoints", cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO datasets (id, project_id, name, description, type, pipeline_type, linked_evals, metadata)
            VALUES (@id, @project, @name, @description, @type, @pipelineType, @linkedEvals, @metadata::jsonb)
            """,
            new
            {
                id, project, name = input.Name, description = input.Description, type = input.Type, pipelineType = input.PipelineType,
                linkedEvals = input.LinkedEvals.ToArray(), metadata = input.Metadata,
            },
            transaction, cancellationToken: cancellationToken));
        await Membership.LinkAsync(connection, transaction, project, [id], input.Datapoints, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>Applies the change; null when the project has no such dataset. A datapoints list replaces the membership, in its order.</summary>
    public async Task<DatasetRow?> UpdateAsync(Guid project, Guid id, DatasetChange change, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE datasets SET
                name = coalesce(@name::text, name),
                description = coalesce(@description::text, description),
                linked_evals = coalesce(@linkedEvals::text[], linked_evals),
                metadata = coalesce(@metadata::jsonb, metadata),
                updated_at = now()
            WHERE project_id = @project AND id = @id
            """,
            new { project, id, name = change.Name, description = change.Description, linkedEvals = change.LinkedEvals?.ToArray(), metadata = change.Metadata },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0) return null;

        if (change.Datapoints is { } datapoints)
        {
            await Membership.EnsureDatapointsAsync(connection, transaction, project, datapoints, "datapoints", cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM dataset_datapoints WHERE project_id = @project AND dataset_id = @id",
                new { project, id }, transaction, cancellationToken: cancellationToken));
            await Membership.LinkAsync(connection, transaction, project, [id], datapoints, cancellationToken);
        }

        var row = await GetAsync(connection, transaction, project, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>Deletes the dataset; its datapoints stay (they may belong to other datasets), only the links go.</summary>
    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM datasets WHERE project_id = @project AND id = @id", new { project, id }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Creates datapoints and adds them to the dataset; null when the project has no such dataset.</summary>
    public async Task<Guid[]?> AddDatapointsAsync(Guid project, Guid id, IReadOnlyList<DatapointText> points, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The lock keeps the dataset from being deleted before the links are written.
        var exists = await connection.QueryFirstOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM datasets WHERE project_id = @project AND id = @id FOR KEY SHARE",
            new { project, id }, transaction, cancellationToken: cancellationToken));
        if (exists is null) return null;
        var ids = await Membership.InsertDatapointsAsync(connection, transaction, project, points, cancellationToken);
        await Membership.LinkAsync(connection, transaction, project, [id], ids, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>Takes a datapoint out of a dataset without deleting it. False when either is unknown or they are not linked.</summary>
    public async Task<bool> RemoveDatapointAsync(Guid project, Guid id, Guid datapointId, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM dataset_datapoints WHERE project_id = @project AND dataset_id = @id AND datapoint_id = @datapointId",
            new { project, id, datapointId }, transaction, cancellationToken: cancellationToken));
        if (removed > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE datasets SET updated_at = now() WHERE project_id = @project AND id = @id",
                new { project, id }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return removed > 0;
    }

    private static async Task<DatasetRow?> GetAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid project, Guid id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<DatasetRow>(new CommandDefinition(
            Select + "\nWHERE d.project_id = @project AND d.id = @id", new { project, id }, transaction, cancellationToken: cancellationToken));
}
