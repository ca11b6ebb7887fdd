using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.ServiceDefaults;
using Npgsql;

namespace HoneyHive.LlmProxy.Routing;

/// <summary>
/// Model aliases in dpdb (<c>model_aliases</c>). Every proxied call looks its model up here, so a workspace's aliases
/// are read once and reused for a few seconds; this process's writes drop its copy at once, another replica's show
/// within that time.
/// </summary>
public sealed class ModelAliasStore([FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, ILogger<ModelAliasStore> logger) : IModelAliases
{
    public const int MaxNameLength = 128;
    public const int MaxTargets = 10;
    public const int MaxAliasesPerWorkspace = 1_000;

    private static readonly TimeSpan ListLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many workspaces the cache is emptied rather than grown.</summary>
    private const int MaxCachedWorkspaces = 10_000;

    private readonly ConcurrentDictionary<Guid, (IReadOnlyList<ModelAlias> Aliases, long Expires)> byWorkspace = new();

    public async Task<ModelAlias?> FindAsync(Guid workspace, string name, CancellationToken cancellationToken) =>
        (await ListAsync(workspace, cancellationToken)).FirstOrDefault(a => a.Name == name);

    public async Task<IReadOnlyList<ModelAlias>> ListAsync(Guid workspace, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (byWorkspace.TryGetValue(workspace, out var cached) && cached.Expires > now) return cached.Aliases;
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AliasRow>(new CommandDefinition(
            """
            SELECT name AS Name, targets::text AS Targets, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM model_aliases WHERE workspace_id = @workspace ORDER BY name LIMIT @limit
            """,
            new { workspace, limit = MaxAliasesPerWorkspace }, cancellationToken: cancellationToken));
        var aliases = rows.Select(r => r.ToAlias()).ToList();
        if (byWorkspace.Count >= MaxCachedWorkspaces) byWorkspace.Clear();
        byWorkspace[workspace] = (aliases, now + (long)ListLifetime.TotalMilliseconds);
        return aliases;
    }

    /// <summary>Creates or replaces the alias; the targets are tried in the order given.</summary>
    /// <exception cref="ApiRequestException">400 naming <c>name</c> or the target at fault; 409 when the workspace has too many.</exception>
    public async Task<ModelAlias> PutAsync(Guid workspace, string name, IReadOnlyList<string> targets, CancellationToken cancellationToken)
    {
        var parsed = Validate(name, targets);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AliasRow>(new CommandDefinition(
            """
            INSERT INTO model_aliases (workspace_id, name, targets)
            SELECT @workspace, @name, @targets::jsonb
            WHERE EXISTS (SELECT 1 FROM model_aliases WHERE workspace_id = @workspace AND name = @name)
               OR (SELECT count(*) FROM model_aliases WHERE workspace_id = @workspace) < @max
            ON CONFLICT (workspace_id, name) DO UPDATE SET targets = excluded.targets, updated_at = now()
            RETURNING name AS Name, targets::text AS Targets, created_at AS CreatedAt, updated_at AS UpdatedAt
            """,
            new { workspace, name, targets = JsonSerializer.Serialize(parsed.Select(t => t.ToString())), max = MaxAliasesPerWorkspace },
            cancellationToken: cancellationToken));
        byWorkspace.TryRemove(workspace, out _);
        if (row is null)
            throw new ApiRequestException(StatusCodes.Status409Conflict, "name", $"The workspace already has {MaxAliasesPerWorkspace} model aliases; delete one first.");
        logger.LogInformation("Stored model alias {Alias} of workspace {Workspace} with {Targets} target(s)", name, workspace, parsed.Count);
        return row.ToAlias();
    }

    public async Task<bool> DeleteAsync(Guid workspace, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM model_aliases WHERE workspace_id = @workspace AND name = @name",
            new { workspace, name }, cancellationToken: cancellationToken)) > 0;
        byWorkspace.TryRemove(workspace, out _);
        return deleted;
    }

    /// <summary>
    /// A name never holds a slash, so it can never be read as provider/model; each target is provider/model with a
    /// provider name a secret could be stored under.
    /// </summary>
    public static IReadOnlyList<RouteTarget> Validate(string name, IReadOnlyList<string> targets)
    {
        var errors = new FieldErrors();
        if (name.Length is 0 or > MaxNameLength) errors.Add("name", $"Must be 1-{MaxNameLength} characters.");
        else if (name.Contains('/', StringComparison.Ordinal)) errors.Add("name", "Must not contain '/': provider/model names route to a provider directly.");
        else if (name.Trim() != name || name.Any(char.IsControl)) errors.Add("name", "Must not start or end with spaces or contain control characters.");
        if (targets.Count is 0 or > MaxTargets) errors.Add("targets", $"Must have 1-{MaxTargets} targets.");
        var parsed = new List<RouteTarget>();
        for (var i = 0; i < targets.Count; i++)
        {
            var target = RouteTarget.Parse(targets[i]);
            if (target is null || target.Model.Length is 0 or > ModelRouter.MaxModelLength)
            {
                errors.Add($"targets[{i}]", "Must be provider/model, like openai/gpt-4o-mini.");
                continue;
            }
            if (ProviderSecretStore.TryNormalizeProvider(target.Provider) is null)
                errors.Add($"targets[{i}]", $"The provider is not a valid secret name: it must be {ProviderSecretStore.ProviderRule}.");
            else
                parsed.Add(target);
        }
        errors.ThrowIfAny();
        return parsed;
    }

    private sealed class AliasRow
    {
        public string Name { get; set; } = "";
        public string Targets { get; set; } = "[]";
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }

        public ModelAlias ToAlias() => new(Name,
            (JsonSerializer.Deserialize<string[]>(Targets) ?? []).Select(t => RouteTarget.Parse(t)).OfType<RouteTarget>().ToList(),
            CreatedAt, UpdatedAt);
    }
}
