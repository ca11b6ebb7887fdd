using HoneyHive.Contracts;

namespace HoneyHive.Ingestion.Backpressure;

public static class BackpressureRegistration
{
    /// <summary>The back-pressure poller (section <c>Ingestion:Backpressure</c>), its health check and gauges.</summary>
    public static IHostApplicationBuilder AddIngestionBackpressure(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Ingestion:Backpressure").Get<BackpressureOptions>() ?? new BackpressureOptions();
        // The Writer this deployment runs, under the name it is configured with (tests give each Host its own).
        if (options.Consumers.Length == 0) options.Consumers = [builder.Configuration["Writer:ConsumerName"] is { Length: > 0 } name ? name : AppIds.Writer];
        if (options.MaxLag <= TimeSpan.Zero || options.PollInterval <= TimeSpan.Zero || options.RateWindow <= TimeSpan.Zero || options.RetryAfter < TimeSpan.FromSeconds(1))
            throw new InvalidOperationException("Ingestion:Backpressure: MaxLag, PollInterval and RateWindow must be positive and RetryAfter at least 1 s.");
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IngestionBackpressure>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestionBackpressure>());
        builder.Services.AddHealthChecks().AddCheck<BackpressureHealthCheck>(BackpressureHealthCheck.Name);
        return builder;
    }
}
