namespace HoneyHive.Ingestion.Backpressure;

public static class BackpressureRegistration
{
    /// <summary>The back-pressure poller (section <c>Ingestion:Backpressure</c>), its health check and gauges.</summary>
    public static IHostApplicationBuilder AddIngestionBackpressure(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSection("Ingestion:Backpressure").Get<BackpressureOptions>() ?? new BackpressureOptions());
        builder.Services.AddSingleton<IngestionBackpressure>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestionBackpressure>());
        builder.Services.AddHealthChecks().AddCheck<BackpressureHealthCheck>(BackpressureHealthCheck.Name);
        return builder;
    }
}
