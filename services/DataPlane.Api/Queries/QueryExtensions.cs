using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HoneyHive.DataPlane.Api.Queries;

public static class QueryExtensions
{
    /// <summary>The event, session, chart and schema readers; options from the <c>Queries</c> section.</summary>
    public static IHostApplicationBuilder AddDataPlaneQueries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSection("Queries").Get<QueryOptions>() ?? new QueryOptions());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PayloadResolver>();
        builder.Services.AddSingleton<EventQueries>();
        builder.Services.AddSingleton<SessionQueries>();
        builder.Services.AddSingleton<ChartQueries>();
        builder.Services.AddSingleton<SchemaQueries>();
        return builder;
    }
}
