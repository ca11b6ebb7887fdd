using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Workflow;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Events;
using HoneyHive.Contracts.Llm;
using HoneyHive.DataPlane.Api.Configurations;
using HoneyHive.DataPlane.Api.Datasets;
using HoneyHive.Platform.Messaging;
using HoneyHive.Workflows;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>
/// Runs the pinned configuration on one datapoint through the LLM proxy and stores the outcome as the datapoint's session
/// in the run (metadata run_id, datapoint_id, dataset_id; the datapoint's inputs and ground truth; the answer as output),
/// the proxy's model event a child of it. Both ids derive from run and datapoint, so a re-execution after a crash stores
/// one session and one model event. A provider's refusal (4xx) fails the datapoint; a rate limit or an outage throws,
/// for the workflow's retry policy.
/// </summary>
public sealed class GenerateOutputActivity(
    ConfigurationStore configurations, DatapointStore datapoints, IModelCompletions completions, IEventPublisher publisher, TimeProvider clock)
    : WorkflowActivity<GenerateInput, GenerateOutput>
{
    public const string Source = "/honeyhive/evaluation/experiments";

    public override async Task<GenerateOutput> RunAsync(WorkflowActivityContext context, GenerateInput input)
    {
        var run = input.Run;
        var project = Guid.Parse(run.ProjectId);
        var sessionId = ExperimentIds.Session(run.RunId, input.DatapointId);
        var configuration = await configurations.GetVersionAsync(project, Guid.Parse(run.ConfigurationId), run.ConfigurationVersion, CancellationToken.None);
        if (configuration is null) return new GenerateOutput(sessionId, null, "The configuration version no longer exists.");
        var rows = await datapoints.ListAsync(project, new DatapointFilter([Guid.Parse(input.DatapointId)], null, null), 1, 0, CancellationToken.None);
        if (rows is not [var datapoint]) return new GenerateOutput(sessionId, null, "The datapoint no longer exists.");

        var inputs = Parse(datapoint.Inputs) as JsonObject ?? [];
        var history = Parse(datapoint.History) as JsonArray ?? [];
        var body = PromptRendering.Build(configuration.Content, inputs, history);
        var started = clock.GetUtcNow();
        JsonObject completion;
        try
        {
            completion = await completions.CompleteAsync(
                new ModelCompletionRequest(run.ProjectId, body, sessionId, ExperimentIds.ModelEvent(run.RunId, input.DatapointId), sessionId),
                CancellationToken.None);
        }
        catch (ModelCompletionException refused) when (refused.Status is >= 400 and < 500 and not 408 and not 429)
        {
            return new GenerateOutput(sessionId, null, $"{refused.Code}: {refused.Message}");
        }

        var ended = clock.GetUtcNow();
        var session = new EventRecord
        {
            EventId = sessionId,
            ProjectId = run.ProjectId,
            SessionId = sessionId,
            EventType = "session",
            EventName = run.Name,
            Source = "evaluation",
            StartTime = started.ToUnixTimeMilliseconds(),
            EndTime = ended.ToUnixTimeMilliseconds(),
            Duration = (ended - started).TotalMilliseconds,
            Inputs = inputs,
            Outputs = new JsonObject { ["content"] = PromptRendering.Text(completion) },
            Config = (JsonObject)configuration.Content.DeepClone(),
            Metadata = new JsonObject { ["run_id"] = run.RunId, ["datapoint_id"] = input.DatapointId, ["dataset_id"] = run.DatasetId },
        };
        if (Parse(datapoint.GroundTruth) is { } groundTruth) session.Feedback["ground_truth"] = groundTruth;
        await PublishAsync(session, CancellationToken.None);
        return new GenerateOutput(sessionId, (JsonObject)JsonSerializer.SerializeToNode(session)!, null);
    }

    private async Task PublishAsync(EventRecord session, CancellationToken cancellationToken)
    {
        // The id names the session, not its content: a re-executed activity's answer may differ, and it must not be a second message.
        var id = $"experiment-session-{session.ProjectId}-{session.EventId}";
        var envelope = new CloudEvent<EventBatch>(id, Source, "honeyhive.events.ingested.v1", new EventBatch(session.ProjectId, [session]))
        {
            Topic = Topics.EventsIngested,
            Time = clock.GetUtcNow(),
        };
        await publisher.PublishAsync(new OutgoingMessage(Topics.EventsIngested, id, JsonSerializer.SerializeToUtf8Bytes(envelope)), cancellationToken);
    }

    private static JsonNode? Parse(string? json) => string.IsNullOrEmpty(json) ? null : JsonNode.Parse(json);
}
