using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Routing;

/// <summary>
/// Turns the <c>model</c> a caller sent into the ordered targets to try: a workspace alias (its fallback list),
/// else <c>provider/model</c>, else a bare model name sent to the workspace's <c>openai</c> key (as OpenAI's own
/// clients assume).
/// </summary>
public sealed class ModelRouter(IModelAliases? aliases = null)
{
    public const int MaxModelLength = 256;

    public async Task<IReadOnlyList<RouteTarget>> ResolveAsync(Guid workspace, string model, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(model)) throw OpenAiErrorException.Invalid("model", "model is required: a provider/model name (openai/gpt-4o-mini) or a workspace alias.");
        if (model.Length > MaxModelLength) throw OpenAiErrorException.Invalid("model", $"model must be at most {MaxModelLength} characters.");
        if (aliases is not null && await aliases.FindAsync(workspace, model, cancellationToken) is { } alias) return alias.Targets;
        return [RouteTarget.Parse(model) ?? new RouteTarget(ProviderKinds.OpenAi, model.Trim())];
    }
}
