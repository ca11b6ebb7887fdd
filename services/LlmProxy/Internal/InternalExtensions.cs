using HoneyHive.Contracts.Llm;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.LlmProxy.Internal;

public static class InternalExtensions
{
    /// <summary>
    /// <see cref="IModelCompletions"/> in process (TryAdd: a process that reaches the proxy by Dapr invocation registered
    /// its client first and keeps it).
    /// </summary>
    public static IHostApplicationBuilder AddModelCompletions(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<ProjectScopes>();
        builder.Services.TryAddSingleton(sp => new InProcessModelCompletions(
            sp.GetRequiredService<Calls.ModelCaller>(), sp.GetRequiredService<ProjectScopes>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Calls.IProjectCallLimiter>(), sp.GetService<Calls.IModelCallTracer>()));
        builder.Services.TryAddSingleton<IModelCompletions>(sp => sp.GetRequiredService<InProcessModelCompletions>());
        return builder;
    }
}
