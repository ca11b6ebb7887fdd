using Dapper;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>Filters of <c>GET /datapoints</c>; null means any. A dataset filter lists in the dataset's order.</summary>
public sealed record DatapointFilter(IReadOnlyList<Guid>? Ids, Guid? DatasetId, string? DatasetName)
{
    public bool ByDataset => DatasetId is not null || DatasetName is not null;
}

/// <summary>Datapoints of one project in dpdb. Every statement is scoped by the caller's project.</summary>
public sealed class DatapointStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb)
{
    private const string Columns = """
        SELECT dp.id AS Id, dp.inputs::text AS Inputs, dp.history::text AS History, dp.ground_truth::text AS GroundTruth,
               dp.metadata::text AS Metadata, dp.linked_event AS LinkedEvent, dp.created_at AS CreatedAt, dp.updated_at AS UpdatedAt,
               ARRAY(SELECT l.dataset_id::text FROM dataset_datapoints l WHERE l.datapoint_id = dp.id ORDER BY l.position) AS LinkedDatasets
        """;

    public async Task<IReadOnlyList<DatapointRow>> ListAsync(Guid project, DatapointFilter filter, int limit, int offset, CancellationToken cancellationToken)
    {
        // Two fixed statements: with a dataset filter rows come in the dataset's order (the first
        // position when several same-named datasets hold a datapoint), otherwise in creation order.
        var sql = filter.ByDataset
            ? Columns + """

                FROM datapoints dp
                JOIN (
                    SELECT l.datapoint_id, min(l.position) AS position
                    FROM dataset_datapoints l
                    JOIN datasets d ON d.project_id = l.project_id AND d.id = l.dataset_id
                    WHERE l.project_id = @project
                      AND (@datasetId::uuid IS NULL OR d.id = @datasetId)
                      AND (@datasetName::text IS NULL OR d.name = @datasetName)
                    GROUP BY l.datapoint_id
                ) m ON m.datapoint_id = dp.id
                WHERE dp.project_id = @project AND (@ids::uuid[] IS NULL OR dp.id = ANY(@ids))
                ORDER BY m.position
                LIMIT @limit OFFSET @offset
                """
            : Columns + """

                FROM datapoints dp
                WHERE dp.project_id = @project AND (@ids::uuid[] IS NULL OR dp.id = ANY(@ids))
                ORDER BY dp.created_at, dp.id
                LIMIT @limit OFFSET @offset
                """;
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DatapointRow>(new CommandDefinition(
            sql,
            new { project, ids = filter.Ids?.ToArray(), datasetId = filter.DatasetId, datasetName = filter.DatasetName, limit, offset },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<bool> DatasetExistsAsync(Guid project, Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM datasets WHERE project_id = @project AND id = @datasetId",
            new { project, datasetId }, cancellationToken: cancellationToken)) is not null;
    }

    public async Task<DatapointRow?> GetAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DatapointRow>(new CommandDefinition(
            Columns + "\nFROM datapoints dp WHERE dp.project_id = @project AND dp.id = @id",
            new { project, id }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates datapoints and links each to every dataset of <paramref name="datasets"/> (which must
    /// be the project's; <paramref name="datasetsField"/> names them in a 404).
    /// </summary>
    public async Task<Guid[]> CreateAsync(
        Guid project, IReadOnlyList<DatapointText> points, IReadOnlyList<Guid> datasets, string datasetsField, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Membership.EnsureDatasetsAsync(connection, transaction, project, datasets, datasetsField, cancellationToken);
        var ids = await Membership.InsertDatapointsAsync(connection, transaction, project, points, cancellationToken);
        await Membership.LinkAsync(connection, transaction, project, datasets, ids, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>Applies the change; false when the project has no such datapoint. linked_datasets replaces the memberships.</summary>
    public async Task<bool> UpdateAsync(Guid project, Guid id, DatapointChange change, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE datapoints SET
                inputs = coalesce(@inputs::jsonb, inputs),
                history = coalesce(@history::jsonb, history),
                ground_truth = coalesce(@groundTruth::jsonb, ground_truth),
                metadata = coalesce(@metadata::jsonb, metadata),
                linked_event = coalesce(@linkedEvent::text, linked_event),
                updated_at = now()
            WHERE project_id = @project AND id = @id
            """,
            new { project, id, inputs = change.Inputs, history = change.History, groundTruth = change.GroundTruth, metadata = change.Metadata, linkedEvent = change.LinkedEvent },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0) return false;

        if (change.LinkedDatasets is { } datasets)
        {
            await Membership.EnsureDatasetsAsync(connection, transaction, project, datasets, "linked_datasets", cancellationToken);
            // Keeps the position (order inside the dataset) of memberships that stay.
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM dataset_datapoints WHERE project_id = @project AND datapoint_id = @id AND NOT (dataset_id = ANY(@datasets))",
                new { project, id, datasets = datasets.ToArray() }, transaction, cancellationToken: cancellationToken));
            await Membership.LinkAsync(connection, transaction, project, datasets, [id], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes the datapoint and its memberships; false when the project has no such datapoint.</summary>
    public async Task<bool> DeleteAsync(Guid project, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM datapoints WHERE project_id = @project AND id = @id", new { project, id }, cancellationToken: cancellationToken)) > 0;
    }
}
