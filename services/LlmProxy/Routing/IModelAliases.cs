namespace HoneyHive.LlmProxy.Routing;

/// <summary>A workspace's model aliases: a name callers use as <c>model</c>, and the ordered targets it tries.</summary>
public sealed record ModelAlias(string Name, IReadOnlyList<RouteTarget> Targets, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Where aliases are kept (dpdb, per workspace).</summary>
public interface IModelAliases
{
    /// <summary>The alias named <paramref name="name"/> in the workspace, or null.</summary>
    Task<ModelAlias?> FindAsync(Guid workspace, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelAlias>> ListAsync(Guid workspace, CancellationToken cancellationToken);
}
