namespace HoneyHive.LlmProxy.Routing;

/// <summary>One place a model name can be sent: the provider secret's name and the model as that provider names it.</summary>
public sealed record RouteTarget(string Provider, string Model)
{
    public override string ToString() => $"{Provider}/{Model}";

    /// <summary>
    /// <c>provider/model</c>, split at the first slash (so <c>openrouter/meta-llama/llama-3</c> is provider
    /// <c>openrouter</c>, model <c>meta-llama/llama-3</c>); null when there is no slash or either side is empty.
    /// </summary>
    public static RouteTarget? Parse(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1) return null;
        return new RouteTarget(value[..slash].Trim().ToLowerInvariant(), value[(slash + 1)..].Trim());
    }
}
