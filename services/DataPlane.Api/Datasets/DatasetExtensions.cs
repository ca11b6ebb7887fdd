namespace HoneyHive.DataPlane.Api.Datasets;

public static class DatasetExtensions
{
    /// <summary>The dataset and datapoint stores and the batch route's event reader; options from the <c>Datasets</c> section.</summary>
    public static IHostApplicationBuilder AddDatasets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSection("Datasets").Get<DatasetOptions>() ?? new DatasetOptions());
        builder.Services.AddSingleton<DatasetStore>();
        builder.Services.AddSingleton<DatapointStore>();
        builder.Services.AddSingleton<DatapointEventSource>();
        return builder;
    }
}
