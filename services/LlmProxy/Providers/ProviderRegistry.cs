using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>The adapter for each provider kind, from every <see cref="ILlmProvider"/> registered.</summary>
public sealed class ProviderRegistry
{
    private readonly Dictionary<string, ILlmProvider> byKind = new(StringComparer.Ordinal);

    public ProviderRegistry(IEnumerable<ILlmProvider> providers)
    {
        foreach (var provider in providers)
        {
            foreach (var kind in provider.Kinds)
            {
                if (!byKind.TryAdd(kind, provider))
                    throw new InvalidOperationException($"Two provider adapters speak '{kind}': {byKind[kind].GetType().Name} and {provider.GetType().Name}.");
            }
        }
    }

    public ILlmProvider For(string kind) => byKind.TryGetValue(kind, out var provider)
        ? provider
        : throw OpenAiErrorException.Invalid("model", $"No adapter speaks provider kind '{kind}' in this version; known kinds: {string.Join(", ", byKind.Keys.Order())}.");
}
