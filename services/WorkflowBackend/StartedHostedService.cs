using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.WorkflowBackend;

/// <summary>Starts a hosted service of the given type when the application has started (its servers listen).</summary>
internal sealed class StartedHostedService(IServiceProvider services, Type type) : IHostedService
{
    private IHostedService? inner;
    private CancellationTokenRegistration registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        registration = lifetime.ApplicationStarted.Register(() =>
        {
            inner = (IHostedService)ActivatorUtilities.CreateInstance(services, type);
            _ = inner.StartAsync(lifetime.ApplicationStopping);
        });
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await registration.DisposeAsync();
        if (inner is not null) await inner.StopAsync(cancellationToken);
    }
}
