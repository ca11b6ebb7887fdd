using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.DataPlane.Api.Lifecycle;

public static class LifecycleExtensions
{
    /// <summary>Archive, restore and the retention sweep; the caller registers dpdb, the analytics store and the object store.</summary>
    public static IHostApplicationBuilder AddLifecycle(this IHostApplicationBuilder builder, bool sweep = true)
    {
        builder.Services.AddOptions<LifecycleOptions>().Bind(builder.Configuration.GetSection(LifecycleOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProjectDayArchiver>();
        builder.Services.AddSingleton<ProjectDayRemover>();
        builder.Services.AddSingleton<ArchiveRestorer>();
        builder.Services.AddSingleton<RetentionSweeper>();
        if (sweep) builder.Services.AddHostedService<RetentionService>();
        return builder;
    }
}
