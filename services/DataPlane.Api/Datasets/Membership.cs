using System.Data;
using Dapper;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>
/// Statements both stores run inside their transactions: existence checks scoped to the project,
/// datapoint inserts, and dataset links. A missing id (absent or another project's) is a 404 that
/// names where in the request it stood.
/// </summary>
internal static class Membership
{
    public static async Task EnsureDatapointsAsync(
        NpgsqlConnection connection, IDbTransaction transaction, Guid project, IReadOnlyList<Guid> ids, string field, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        var found = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM datapoints WHERE project_id = @project AND id = ANY(@ids) FOR KEY SHARE",
            new { project, ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet();
        for (var i = 0; i < ids.Count; i++)
            if (!found.Contains(ids[i])) throw ApiRequestException.NotFound($"{field}[{i}]", $"Datapoint {ids[i]} not found.");
    }

    public static async Task EnsureDatasetsAsync(
        NpgsqlConnection connection, IDbTransaction transaction, Guid project, IReadOnlyList<Guid> ids, string field, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        var found = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM datasets WHERE project_id = @project AND id = ANY(@ids) FOR KEY SHARE",
            new { project, ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet();
        for (var i = 0; i < ids.Count; i++)
            if (!found.Contains(ids[i])) throw ApiRequestException.NotFound($"{field}[{i}]", $"Dataset {ids[i]} not found.");
    }

    /// <summary>Inserts datapoints in one statement; ids are UUIDv7, so they sort by creation.</summary>
    public static async Task<Guid[]> InsertDatapointsAsync(
        NpgsqlConnection connection, IDbTransaction transaction, Guid project, IReadOnlyList<DatapointText> points, CancellationToken cancellationToken)
    {
        var ids = points.Select(_ => Guid.CreateVersion7()).ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO datapoints (id, project_id, inputs, history, ground_truth, metadata, linked_event)
            SELECT t.id, @project, t.inputs::jsonb, t.history::jsonb, t.ground_truth::jsonb, t.metadata::jsonb, t.linked_event
            FROM unnest(@ids::uuid[], @inputs::text[], @history::text[], @groundTruth::text[], @metadata::text[], @linkedEvent::text[])
                AS t(id, inputs, history, ground_truth, metadata, linked_event)
            """,
            new
            {
                project,
                ids,
                inputs = points.Select(p => p.Inputs).ToArray(),
                history = points.Select(p => p.History).ToArray(),
                groundTruth = points.Select(p => p.GroundTruth).ToArray(),
                metadata = points.Select(p => p.Metadata).ToArray(),
                linkedEvent = points.Select(p => p.LinkedEvent).ToArray(),
            },
            transaction, cancellationToken: cancellationToken));
        return ids;
    }

    /// <summary>Adds each datapoint to each dataset, in the given order, skipping links that exist.</summary>
    public static async Task LinkAsync(
        NpgsqlConnection connection, IDbTransaction transaction, Guid project, IReadOnlyList<Guid> datasets, IReadOnlyList<Guid> datapoints,
        CancellationToken cancellationToken)
    {
        if (datasets.Count == 0 || datapoints.Count == 0) return;
        try
        {
            await InsertLinksAsync(connection, transaction, project, datasets, datapoints, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A dataset or datapoint of the request was deleted while it ran.
            throw ApiRequestException.NotFound(null, "A dataset or datapoint of the request no longer exists.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE datasets SET updated_at = now() WHERE project_id = @project AND id = ANY(@datasets)",
            new { project, datasets = datasets.ToArray() }, transaction, cancellationToken: cancellationToken));
    }

    private static async Task InsertLinksAsync(
        NpgsqlConnection connection, IDbTransaction transaction, Guid project, IReadOnlyList<Guid> datasets, IReadOnlyList<Guid> datapoints,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO dataset_datapoints (project_id, dataset_id, datapoint_id)
            SELECT @project, d.id, p.id
            FROM unnest(@datasets::uuid[]) WITH ORDINALITY AS d(id, n)
            CROSS JOIN unnest(@datapoints::uuid[]) WITH ORDINALITY AS p(id, n)
            ORDER BY d.n, p.n
            ON CONFLICT (dataset_id, datapoint_id) DO NOTHING
            """,
            new { project, datasets = datasets.ToArray(), datapoints = datapoints.ToArray() }, transaction, cancellationToken: cancellationToken));
    }
}
