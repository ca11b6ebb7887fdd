namespace HoneyHive.DataPlane.Api.Runs;

public static class RunsExtensions
{
    /// <summary>The run store (dpdb) and the run event readers (ClickHouse); options from the <c>Runs</c> section.</summary>
    public static IHostApplicationBuilder AddRuns(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSection("Runs").Get<RunsOptions>() ?? new RunsOptions());
        builder.Services.AddSingleton<RunStore>();
        builder.Services.AddSingleton<RunEvents>();
        return builder;
    }
}
