using HoneyHive.LlmProxy.Providers.Anthropic;
using HoneyHive.LlmProxy.Providers.Google;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Providers;

/// <summary>The translating adapters: Anthropic's Messages API, and Gemini over AI Studio and Vertex AI.</summary>
public static class ProviderAdapters
{
    public static IServiceCollection AddTranslatingProviders(this IServiceCollection services)
    {
        services.TryAddSingleton<VertexTokens>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProvider, AnthropicProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProvider, GoogleProvider>());
        return services;
    }
}
