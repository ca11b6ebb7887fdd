using Dapr.Workflow;
using HoneyHive.WorkflowBackend;
using HoneyHive.Workflows.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>Experiment workflows: their options, and the workflows and activities the workflow worker runs.</summary>
public static class ExperimentsModule
{
    public static IHostApplicationBuilder AddExperiments(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExperimentOptions>().Bind(builder.Configuration.GetSection(ExperimentOptions.Section));
        // Single node: the SDK's worker on the Host's embedded backend; Dapr mode: on daprd's workflow engine.
        builder.AddWorkflowEngine(Register);
        return builder;
    }

    /// <summary>The experiment workflows and their activities, by the names the workflows call them.</summary>
    public static void Register(WorkflowRuntimeOptions options)
    {
        options.RegisterWorkflow<EvaluateRunWorkflow>(nameof(EvaluateRunWorkflow));
        options.RegisterWorkflow<DatasetRunWorkflow>(nameof(DatasetRunWorkflow));
        options.RegisterWorkflow<DatapointWorkflow>(nameof(DatapointWorkflow));
        options.RegisterActivity<ListRunEventsActivity>(ActivityNames.ListRunEvents);
        options.RegisterActivity<ListDatasetDatapointsActivity>(ActivityNames.ListDatasetDatapoints);
        options.RegisterActivity<StartRunActivity>(ActivityNames.StartRun);
        options.RegisterActivity<GenerateOutputActivity>(ActivityNames.GenerateOutput);
        options.RegisterActivity<EvaluateEventActivity>(ActivityNames.EvaluateEvent);
        options.RegisterActivity<FinishRunActivity>(ActivityNames.FinishRun);
        options.RegisterActivity<NotifyRunFinishedActivity>(ActivityNames.NotifyRunFinished);
    }
}
