using HoneyHive.Contracts;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Charts;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Invocation;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Postgres;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.ServiceDefaults.Quotas;

namespace HoneyHive.DataPlane.Api;

/// <summary>Queries, datasets, datapoints, metrics, runs, saved charts, provider secrets, the alert engine.</summary>
public static class DataPlaneApiModule
{
    public const string AppId = AppIds.DataPlaneApi;

    /// <summary>The data plane's own database; the control plane never opens it.</summary>
    public const string Database = "dpdb";

    public static IHostApplicationBuilder AddDataPlaneApi(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres(Database);
        // Events are read from ClickHouse; payloads the Writer moved out are read from the object store.
        builder.AddAnalyticsStore();
        builder.AddObjectStore();
        builder.AddDataPlaneAuthentication();
        // Each API key's (or user's) requests per minute, shared by every replica through Redis (section Quotas).
        builder.AddQuotas();
        builder.Services.AddHostedService<DataPlaneDatabaseInitializer>();
        builder.AddDataPlaneQueries();
        builder.AddDefinitionStores();
        builder.AddProviderSecrets();
        builder.AddRuns();
        builder.AddDatasets();
        builder.Services.AddOptions<MetricRunOptions>().Bind(builder.Configuration.GetSection(MetricRunOptions.Section));
        // Distributed mode: runs go to dp-python-metric through Dapr. Single node: the Host's in-process pool
        // (AddPythonMetric) is the runner, and DataPlane.Api alone has none (its run routes answer 503).
        builder.AddPythonMetricInvocation();
        // Distributed mode: metric runs of every type are evaluated by dp-evaluation; single node: the Host's engine.
        builder.AddMetricEvaluatorInvocation();
        // The legacy project routes are the CP's to answer: forwarded there with the caller's credentials.
        var controlPlane = builder.Configuration.GetSection(ControlPlaneOptions.Section).Get<ControlPlaneOptions>() ?? new ControlPlaneOptions();
        builder.Services.AddHttpClient<ControlPlaneForwarder>(client =>
        {
            client.BaseAddress = new Uri(controlPlane.ApiUrl);
            client.Timeout = controlPlane.Timeout;
        });
        // The alert engine reads events through the chart queries above and publishes on the message log.
        builder.AddAlertEngine();
        // Retention: old days archived to the object store as Parquet, then removed; restores load them back.
        builder.AddLifecycle();
        builder.AddApiDocument(ApiDocuments.DataPlane);
        return builder;
    }

    public static RouteGroupBuilder MapDataPlaneApi(this IEndpointRouteBuilder app)
    {
        // Every route below declares its permission; one that does not is refused to every caller (fail closed).
        var group = app.MapGroup("").RequireDeclaredPermissions().RequireApiRequestQuota().WithGroupName(ApiDocuments.DataPlane);
        group.MapApiDocument(ApiDocuments.DataPlane);
        group.MapProjectsApi();
        group.MapForwardedProjectsApi();
        group.MapEventsApi();
        group.MapSessionsApi();
        group.MapMetricsApi();
        group.MapMetricRunsApi();
        group.MapConfigurationsApi();
        group.MapSecretsApi();
        group.MapRunsApi();
        group.MapDatasetsApi();
        group.MapDatapointsApi();
        group.MapChartsApi();
        group.MapAlertsApi();
        group.MapArchiveApi();
        group.MapDataKeysApi();
        return group;
    }

    /// <summary>Metric, configuration and chart stores (dpdb); separate so tests can host them without ClickHouse.</summary>
    public static IHostApplicationBuilder AddDefinitionStores(this IHostApplicationBuilder builder)
    {
        builder.AddPostgres(Database);
        builder.Services.AddSingleton<MetricStore>();
        builder.Services.AddSingleton<ConfigurationStore>();
        builder.Services.AddSingleton<ChartStore>();
        return builder;
    }
}
