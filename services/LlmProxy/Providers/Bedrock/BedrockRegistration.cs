using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

public static class BedrockRegistration
{
    /// <summary>The <c>bedrock</c> kind: AWS Bedrock's Converse API, SigV4-signed with the workspace's AWS key.</summary>
    public static IServiceCollection AddBedrockProvider(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProvider, BedrockProvider>());
        return services;
    }
}
