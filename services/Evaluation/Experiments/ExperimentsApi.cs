using System.Security.Claims;
using System.Text.Json.Nodes;
using Dapr.Workflow;
using Grpc.Core;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.DataPlane.Api.Runs;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using HoneyHive.Workflows;
using HoneyHive.Workflows.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>
/// Experiments as workflows. <c>POST /v1/runs/{run_id}/evaluate</c> scores a run's events with chosen metrics;
/// <c>POST /v1/experiments</c> creates a run and runs a configuration over a dataset, then scores every output. The
/// experiment's id is its run's id, and the workflow's instance id derives from project and run, so a run has one
/// workflow at a time. <c>cancel</c> suspends the workflow (nothing new starts, activities in flight finish, the run
/// shows <c>cancelled</c>); <c>resume</c> continues it where it stopped (the run shows <c>running</c> again). A run's
/// status follows its workflow's: it is brought up to date whenever the experiment is read.
/// </summary>
public static class ExperimentsApi
{
    /// <summary>Largest body: a name, three ids and up to MaxMetrics references.</summary>
    public const long MaxBodyBytes = 64 << 10;

    public static IEndpointRouteBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/runs/{run_id}/evaluate", EvaluateRunAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ExperimentsWrite);
        var experiments = app.MapGroup("/v1/experiments");
        experiments.MapPost("", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.ExperimentsWrite);
        experiments.MapGet("/{experiment_id}", GetAsync).RequirePermission(Permissions.ExperimentsRead);
        experiments.MapPost("/{experiment_id}/cancel", CancelAsync).RequirePermission(Permissions.ExperimentsWrite);
        experiments.MapPost("/{experiment_id}/resume", ResumeAsync).RequirePermission(Permissions.ExperimentsWrite);
        return app;
    }

    private static async Task<Accepted<JsonObject>> EvaluateRunAsync(
        [FromRoute(Name = "run_id")] string runId, ClaimsPrincipal user, HttpRequest request, [FromServices] RunStore runs,
        [FromServices] MetricStore metrics, [FromServices] DaprWorkflowClient workflows, [FromServices] IOptions<ExperimentOptions> options,
        CancellationToken cancellationToken)
    {
        var project = user.ProjectId();
        var id = RunQueryString.RunId(runId, "run_id");
        var body = await JsonBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var references = ExperimentRequests.Metrics(body, options.Value);
        var concurrency = ExperimentRequests.Concurrency(body, options.Value);
        var run = await runs.GetAsync(project, id, cancellationToken) ?? throw ApiRequestException.NotFound("run_id", "Run not found in this project.");
        var resolved = await ExperimentRequests.ResolveMetricsAsync(metrics, project, references, cancellationToken);

        var instance = ExperimentIds.Instance(project, run.Id);
        await ClearFinishedAsync(workflows, instance, cancellationToken);
        await runs.UpdateAsync(project, run.Id, new RunChanges { Status = "pending", Evaluators = Names(resolved) }, cancellationToken);
        await ScheduleAsync(workflows, nameof(EvaluateRunWorkflow), instance,
            new EvaluateRunInput(project.ToString(), run.Id.ToString(), resolved, concurrency), cancellationToken);
        return Accepted(run.Id, instance, ExperimentSteps.EvaluateKind);
    }

    private static async Task<Accepted<JsonObject>> CreateAsync(
        ClaimsPrincipal user, HttpRequest request, [FromServices] RunStore runs, [FromServices] MetricStore metrics,
        [FromServices] DatasetStore datasets, [FromServices] ConfigurationStore configurations, [FromServices] DaprWorkflowClient workflows,
        [FromServices] IOptions<ExperimentOptions> options, CancellationToken cancellationToken)
    {
        var project = user.ProjectId();
        var body = await JsonBody.ReadObjectAsync(request, MaxBodyBytes, cancellationToken);
        var parsed = ExperimentRequests.ParseExperiment(body, options.Value);
        var dataset = await datasets.GetAsync(project, parsed.DatasetId, cancellationToken)
                      ?? throw ApiRequestException.NotFound("dataset_id", "Dataset not found in this project.");
        if (dataset.Datapoints.Length > options.Value.MaxTargets)
            throw ApiRequestException.BadRequest("dataset_id", $"The dataset has more than {options.Value.MaxTargets} datapoints.");
        var configuration = await configurations.GetAsync(project, parsed.ConfigurationId, cancellationToken)
                            ?? throw ApiRequestException.NotFound("configuration_id", "Configuration not found in this project.");
        var resolved = await ExperimentRequests.ResolveMetricsAsync(metrics, project, parsed.Metrics, cancellationToken);

        var run = await runs.CreateAsync(project, new RunChanges
        {
            Name = parsed.Name,
            Status = "pending",
            DatasetId = dataset.Id.ToString(),
            DatapointIds = dataset.Datapoints,
            Configuration = (JsonObject)configuration.Content.DeepClone(),
            Evaluators = Names(resolved),
            Metadata = new JsonObject
            {
                ["experiment_kind"] = ExperimentSteps.DatasetKind,
                ["configuration_id"] = configuration.Id.ToString(),
                ["configuration_version"] = configuration.Version,
            },
        }, cancellationToken) ?? throw new InvalidOperationException("A fresh run id was taken.");

        var instance = ExperimentIds.Instance(project, run.Id);
        await ScheduleAsync(workflows, nameof(DatasetRunWorkflow), instance,
            new DatasetRunInput(project.ToString(), run.Id.ToString(), parsed.Name, dataset.Id.ToString(), configuration.Id.ToString(),
                configuration.Version, resolved, parsed.Concurrency),
            cancellationToken);
        return Accepted(run.Id, instance, ExperimentSteps.DatasetKind);
    }

    private static async Task<Ok<JsonObject>> GetAsync(
        [FromRoute(Name = "experiment_id")] string experimentId, ClaimsPrincipal user, [FromServices] RunStore runs,
        [FromServices] DaprWorkflowClient workflows, CancellationToken cancellationToken)
    {
        var (run, instance, state) = await LoadAsync(experimentId, user, runs, workflows, cancellationToken);
        run = await SyncStatusAsync(runs, run, state, cancellationToken);
        return TypedResults.Ok(ExperimentProgress.ToJson(run, instance, state));
    }

    private static async Task<Accepted<JsonObject>> CancelAsync(
        [FromRoute(Name = "experiment_id")] string experimentId, ClaimsPrincipal user, [FromServices] RunStore runs,
        [FromServices] DaprWorkflowClient workflows, CancellationToken cancellationToken)
    {
        var (run, instance, state) = await LoadAsync(experimentId, user, runs, workflows, cancellationToken);
        if (state is not { RuntimeStatus: WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending })
            throw ApiRequestException.Conflict("experiment_id", "The experiment is not running.");
        await workflows.SuspendWorkflowAsync(instance, "cancelled through the API", cancellationToken);
        run = await runs.UpdateAsync(run.ProjectId, run.Id, new RunChanges { Status = "cancelled" }, cancellationToken) ?? run;
        return TypedResults.Accepted($"/v1/experiments/{run.Id}", ExperimentProgress.ToJson(run, instance, state));
    }

    private static async Task<Accepted<JsonObject>> ResumeAsync(
        [FromRoute(Name = "experiment_id")] string experimentId, ClaimsPrincipal user, [FromServices] RunStore runs,
        [FromServices] DaprWorkflowClient workflows, CancellationToken cancellationToken)
    {
        var (run, instance, state) = await LoadAsync(experimentId, user, runs, workflows, cancellationToken);
        if (state is not { RuntimeStatus: WorkflowRuntimeStatus.Suspended })
            throw ApiRequestException.Conflict("experiment_id", "The experiment is not cancelled.");
        await workflows.ResumeWorkflowAsync(instance, "resumed through the API", cancellationToken);
        run = await runs.UpdateAsync(run.ProjectId, run.Id, new RunChanges { Status = "running" }, cancellationToken) ?? run;
        return TypedResults.Accepted($"/v1/experiments/{run.Id}", ExperimentProgress.ToJson(run, instance, state));
    }

    /// <summary>The project's run and its workflow's state (null when the run has none); 404 for an unknown or another project's run.</summary>
    private static async Task<(Run Run, string Instance, WorkflowState? State)> LoadAsync(
        string experimentId, ClaimsPrincipal user, RunStore runs, DaprWorkflowClient workflows, CancellationToken cancellationToken)
    {
        var project = user.ProjectId();
        var run = await runs.GetAsync(project, RunQueryString.RunId(experimentId, "experiment_id"), cancellationToken)
                  ?? throw ApiRequestException.NotFound("experiment_id", "Experiment not found in this project.");
        var instance = ExperimentIds.Instance(project, run.Id);
        var state = await workflows.GetWorkflowStateAsync(instance, getInputsAndOutputs: true, cancellationToken);
        return (run, instance, state is { Exists: true } ? state : null);
    }

    /// <summary>Brings the run's status up to the workflow's when the workflow ended without writing it (it failed or was terminated).</summary>
    private static async Task<Run> SyncStatusAsync(RunStore runs, Run run, WorkflowState? state, CancellationToken cancellationToken)
    {
        var status = ExperimentProgress.RunStatus(state);
        if (status is null || status == run.Status || run.Status == "completed") return run;
        return await runs.UpdateAsync(run.ProjectId, run.Id, new RunChanges { Status = status }, cancellationToken) ?? run;
    }

    /// <summary>A run has one workflow at a time: a live one is a 409; a finished one is purged before the next starts.</summary>
    private static async Task ClearFinishedAsync(DaprWorkflowClient workflows, string instance, CancellationToken cancellationToken)
    {
        var state = await workflows.GetWorkflowStateAsync(instance, getInputsAndOutputs: false, cancellationToken);
        if (state is not { Exists: true }) return;
        if (state.RuntimeStatus is WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending or WorkflowRuntimeStatus.Suspended)
            throw ApiRequestException.Conflict("run_id", "An experiment workflow of this run is still running; cancel it or wait for it.");
        await workflows.PurgeInstanceAsync(instance, cancellationToken);
    }

    private static async Task ScheduleAsync(DaprWorkflowClient workflows, string name, string instance, object input, CancellationToken cancellationToken)
    {
        try
        {
            await workflows.ScheduleNewWorkflowAsync(name, instance, input, null, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            throw ApiRequestException.Conflict("run_id", "An experiment workflow of this run is already running.");
        }
    }

    private static JsonArray Names(IEnumerable<MetricRef> metrics) => new([.. metrics.Select(m => (JsonNode?)m.Name)]);

    private static Accepted<JsonObject> Accepted(Guid runId, string instance, string kind) =>
        TypedResults.Accepted($"/v1/experiments/{runId}", new JsonObject
        {
            ["run_id"] = runId.ToString(),
            ["experiment_id"] = runId.ToString(),
            ["instance_id"] = instance,
            ["kind"] = kind,
            ["status"] = "pending",
        });
}
