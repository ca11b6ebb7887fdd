using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>A project as dpdb holds it (synced from the CP): where it sits in the tenancy tree.</summary>
public sealed record DataPlaneProject(Guid Id, Guid OrgId, Guid WorkspaceId, string Name)
{
    public TenancyPath Path => TenancyPath.ForProject(OrgId, WorkspaceId, Id);
}

/// <summary>
/// The projects an access token may select, read from dpdb's <c>projects</c> (the CP's sync keeps it): the token says
/// what its holder may do where, dpdb says where a project is, so a token cannot place a project in another org.
/// Answers are cached as briefly as API keys, so a deleted project stops answering within seconds.
/// </summary>
public sealed class DataPlaneProjects(
    [FromKeyedServices("dpdb")] NpgsqlDataSource dpdb,
    IMemoryCache cache,
    ApiKeyDirectoryOptions options)
{
    /// <summary>The project <paramref name="id"/>, or null when dpdb has none.</summary>
    public async ValueTask<DataPlaneProject?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        var cacheKey = "dp-project:" + id.ToString("N");
        if (cache.TryGetValue(cacheKey, out DataPlaneProject? cached)) return cached;
        var found = (await QueryAsync(ById, [id], cancellationToken)).SingleOrDefault();
        if (options.CacheDuration > TimeSpan.Zero) cache.Set(cacheKey, found, options.CacheDuration);
        return found;
    }

    /// <summary>
    /// Up to two projects <paramref name="grants"/> reach (enough to tell none, one and several apart), for a caller that
    /// names none. <paramref name="cacheKey"/> identifies the grants (the token's id); null skips the cache.
    /// </summary>
    public async ValueTask<IReadOnlyList<DataPlaneProject>> ReachableAsync(IReadOnlyList<Grant> grants, string? cacheKey, CancellationToken cancellationToken)
    {
        var key = cacheKey is null ? null : "dp-reachable:" + cacheKey;
        if (key is not null && cache.TryGetValue(key, out IReadOnlyList<DataPlaneProject>? cached) && cached is not null) return cached;
        Guid[] Ids(string scope) => [.. grants.Where(g => g.Scope == scope).Select(g => g.Id)];
        var found = await QueryAsync(ByGrants,
            [Ids(GrantScopes.Project), Ids(GrantScopes.Workspace), Ids(GrantScopes.Org)], cancellationToken);
        if (key is not null && options.CacheDuration > TimeSpan.Zero) cache.Set(key, found, options.CacheDuration);
        return found;
    }

    private const string ById = "SELECT id, org_id, workspace_id, name FROM projects WHERE id = $1";

    private const string ByGrants = """
        SELECT id, org_id, workspace_id, name FROM projects
        WHERE id = ANY($1) OR workspace_id = ANY($2) OR org_id = ANY($3)
        ORDER BY id LIMIT 2
        """;

    private async Task<IReadOnlyList<DataPlaneProject>> QueryAsync(string sql, object[] values, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dpdb.CreateCommand(sql);
            foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<DataPlaneProject>(2);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(new DataPlaneProject(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3)));
            return rows;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException pg || pg.IsTransient)
        {
            // As with keys: the project can be neither confirmed nor refused, so the caller is told to retry (503).
            throw new KeyDirectoryUnavailableException(ex);
        }
    }
}
