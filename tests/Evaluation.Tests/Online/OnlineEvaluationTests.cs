using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Contracts.Evaluations;
using HoneyHive.Contracts.Events;
using HoneyHive.Evaluation.Online;
using HoneyHive.Platform.Messaging;
using Microsoft.Extensions.DependencyInjection;
using static HoneyHive.Evaluation.Tests.Online.OnlineHarness;

namespace HoneyHive.Evaluation.Tests.Online;

[Collection(OnlineCollection.Name)]
public sealed class OnlineEvaluationTests(OnlineHarness harness)
{
    private const string AnswerLength = "def metric(event):\n    return len(event['outputs']['content'])\n";

    private static EventRecord Answer(Guid project, string content, string type = "model", string name = "answer", Action<EventRecord>? shape = null) =>
        Event(project, type, name, e =>
        {
            e.Outputs = new JsonObject { ["content"] = content };
            shape?.Invoke(e);
        });

    [Fact]
    public async Task A_matching_event_gets_its_score_in_the_store_and_a_filtered_out_one_gets_no_task()
    {
        var project = await harness.ProjectAsync();
        var metric = await harness.MetricAsync(project, PythonMetricDefinition("answer_length", AnswerLength, filters: [Filter("event_type", "is", "model", "string")]));
        var model = Answer(project, "Paris");
        var tool = Answer(project, "a tool's output", type: "tool");
        await harness.PublishAsync(project, [model, tool]);

        var stored = await Eventually.ValueAsync(() => harness.StoredAsync(project, model.EventId),
            e => e?["metrics"]?["answer_length"] is not null, "the model event's score");
        Assert.Equal(5, stored!["metrics"]!["answer_length"]!.GetValue<double>());

        var tasks = await harness.TasksAsync(project);
        var task = Assert.Single(tasks);
        Assert.Equal(model.EventId, task["event_id"]!.GetValue<string>());
        Assert.Equal(metric.Id.ToString(), task["metric_id"]!.GetValue<string>());
        var toolStored = await harness.StoredAsync(project, tool.EventId);
        Assert.NotNull(toolStored);
        Assert.Null(toolStored!["metrics"]?["answer_length"]);
    }

    [Fact]
    public async Task Half_of_400_events_are_sampled_and_a_redelivered_batch_queues_the_same_tasks_once()
    {
        var project = await harness.ProjectAsync();
        var metric = await harness.MetricAsync(project, PythonMetricDefinition("sampled_length", AnswerLength, sampling: 50));
        var events = Enumerable.Range(0, 400).Select(i => Answer(project, new string('x', i % 7 + 1))).ToList();
        var expected = events.Where(e => Sampling.Sampled(e.EventId, metric.Id, 50)).Select(e => e.EventId).Order().ToList();
        Assert.InRange(expected.Count, 150, 250);

        await harness.PublishAsync(project, events);
        var first = await Eventually.ValueAsync(() => harness.TasksAsync(project), t => t.Count >= expected.Count, "the sampled tasks");
        Assert.Equal(expected, first.Select(t => t["event_id"]!.GetValue<string>()).Order());

        // The same events again under another message id (the log's redelivery after a lost ack looks the same to the
        // dispatcher): the same events are sampled, and the log keeps one task each.
        await harness.PublishAsync(project, events);
        var scores = await Eventually.ValueAsync(() => harness.ScoresAsync(project), s => s.Count >= expected.Count, "a score per sampled event");
        var again = await harness.TasksAsync(project);
        Assert.Equal(expected, again.Select(t => t["event_id"]!.GetValue<string>()).Order());
        Assert.Equal(expected.Count, scores.Count);
    }

    [Fact]
    public async Task A_metric_that_needs_ground_truth_is_queued_only_for_events_that_have_it()
    {
        var project = await harness.ProjectAsync();
        await harness.MetricAsync(project, PythonMetricDefinition("matches_truth", "def metric(event):\n    return 1.0 if event['outputs']['content'] == event['ground_truth'] else 0.0\n", needsGroundTruth: true));
        var with = Answer(project, "Paris", shape: e => e.Feedback = new JsonObject { ["ground_truth"] = "Paris" });
        var without = Answer(project, "Paris");
        await harness.PublishAsync(project, [without, with]);

        var stored = await Eventually.ValueAsync(() => harness.StoredAsync(project, with.EventId),
            e => e?["metrics"]?["matches_truth"] is not null, "the score of the event with ground truth");
        Assert.Equal(1.0, stored!["metrics"]!["matches_truth"]!.GetValue<double>());
        var task = Assert.Single(await harness.TasksAsync(project));
        Assert.Equal(with.EventId, task["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Human_metrics_and_metrics_not_enabled_in_prod_are_never_queued()
    {
        var project = await harness.ProjectAsync();
        await harness.MetricAsync(project, new JsonObject
        {
            ["name"] = "helpfulness", ["type"] = "HUMAN", ["criteria"] = "Rate helpfulness", ["enabled_in_prod"] = true, ["sampling_percentage"] = 100,
        });
        await harness.MetricAsync(project, PythonMetricDefinition("not_in_prod", AnswerLength, enabled: false));
        // A marker metric proves the batch was dispatched: its task is queued, the other two's are not.
        var marker = await harness.MetricAsync(project, PythonMetricDefinition("marker", AnswerLength));
        var @event = Answer(project, "Paris");
        await harness.PublishAsync(project, [@event]);

        await Eventually.ValueAsync(() => harness.StoredAsync(project, @event.EventId), e => e?["metrics"]?["marker"] is not null, "the marker score");
        var task = Assert.Single(await harness.TasksAsync(project));
        Assert.Equal(marker.Id.ToString(), task["metric_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_task_delivered_twice_scores_the_event_once()
    {
        var project = await harness.ProjectAsync();
        var metric = await harness.MetricAsync(project, PythonMetricDefinition("once", AnswerLength, enabled: false));
        var @event = Answer(project, "Lyon");
        await harness.PublishAsync(project, [@event]);
        await Eventually.ValueAsync(() => harness.StoredAsync(project, @event.EventId), e => e is not null, "the stored event");

        var task = new EvaluationTask(project.ToString(), metric.Id.ToString(), 1, @event.EventId, @event.SessionId, null);
        var message = EvaluationTaskMessages.ToMessage(task, DateTimeOffset.UtcNow);
        var publisher = harness.Services.GetRequiredService<IEventPublisher>();
        await publisher.PublishAsync(message, CancellationToken.None);
        await Eventually.ValueAsync(() => harness.StoredAsync(project, @event.EventId), e => e?["metrics"]?["once"] is not null, "the first score");
        // A redelivery (the ack was lost): the same task again, under another message id so the log does not drop it.
        await publisher.PublishAsync(message with { Id = task.Id + "-redelivered" }, CancellationToken.None);
        await Eventually.ValueAsync(async () => (await harness.TasksAsync(project)).Count, n => n == 2, "both deliveries on the stream");
        await Eventually.ValueAsync(async () => (await harness.WorkerPendingAsync()), n => n == 0, "the worker to settle both deliveries");

        // Both deliveries published the score under the same message id: the log holds it once, so the Writer merges it once.
        var score = Assert.Single(await harness.ScoresAsync(project));
        Assert.Equal(@event.EventId, score["updates"]![0]!["event_id"]!.GetValue<string>());
        var stored = await harness.StoredAsync(project, @event.EventId);
        Assert.Equal(4, stored!["metrics"]!["once"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_failing_metric_dead_letters_its_task_with_the_error_and_scores_nothing()
    {
        var project = await harness.ProjectAsync();
        await harness.MetricAsync(project, PythonMetricDefinition("broken", "def metric(event):\n    return event['outputs']['missing']\n"));
        var marker = await harness.MetricAsync(project, PythonMetricDefinition("marker", AnswerLength));
        var @event = Answer(project, "Paris");
        await harness.PublishAsync(project, [@event]);

        await Eventually.ValueAsync(() => harness.StoredAsync(project, @event.EventId), e => e?["metrics"]?["marker"] is not null, "the marker score");
        var tasks = await harness.TasksAsync(project);
        var broken = tasks.Single(t => t["metric_id"]!.GetValue<string>() != marker.Id.ToString());
        var brokenId = new EvaluationTask(project.ToString(), broken["metric_id"]!.GetValue<string>(), 1, @event.EventId, null, null).Id;

        var deadLetter = await Eventually.ValueAsync(
            async () => (await harness.ReadStreamAsync(Streams.DeadLetters, Topics.DeadLetterPrefix + Topics.EvaluationRequested))
                .FirstOrDefault(m => m.Headers?[DeadLetterHeaders.OriginalId].ToString() == brokenId),
            m => m is not null, "the broken metric's task in the dead letters");
        var error = deadLetter!.Headers![DeadLetterHeaders.Error].ToString();
        Assert.StartsWith("execution_error: ", error, StringComparison.Ordinal);
        Assert.Contains("KeyError", error, StringComparison.Ordinal);
        // Dead-lettered at its first delivery: a metric's own fault is not retried.
        Assert.Equal("1", deadLetter.Headers[DeadLetterHeaders.DeliveryCount].ToString());
        var stored = await harness.StoredAsync(project, @event.EventId);
        Assert.Null(stored!["metrics"]!["broken"]);
        Assert.Single(await harness.ScoresAsync(project));
    }

    [Fact]
    public async Task One_projects_flood_does_not_hold_back_another_project_in_the_same_delivery()
    {
        // Two per project and two in all: first come first served would run the flood's twelve before the other's two.
        var scheduler = new FairScheduler(new OnlineEvaluationOptions { PerProjectConcurrency = 2, GlobalConcurrency = 2 });
        var flood = await harness.ProjectAsync();
        var other = await harness.ProjectAsync();
        var floodMetric = await harness.MetricAsync(flood, PythonMetricDefinition("flood_metric", AnswerLength, enabled: false));
        var otherMetric = await harness.MetricAsync(other, PythonMetricDefinition("other_metric", AnswerLength, enabled: false));
        var messages = new List<IncomingMessage>();
        foreach (var (project, metric, count) in new[] { (flood, floodMetric, 12), (other, otherMetric, 2) })
        {
            for (var i = 0; i < count; i++)
            {
                var @event = Answer(project, "Paris");
                var task = new EvaluationTask(project.ToString(), metric.Id.ToString(), 1, @event.EventId, @event.SessionId,
                    JsonSerializer.SerializeToNode(@event)!.AsObject());
                var outgoing = EvaluationTaskMessages.ToMessage(task, DateTimeOffset.UtcNow);
                messages.Add(new IncomingMessage(outgoing.Topic, outgoing.Id, outgoing.Data, 1));
            }
        }

        // The worker's own handler, with this scheduler and the real evaluator behind a recorder of the order it is
        // called in, on one delivery that lists the flood first. Completion order would depend on how fast each Python
        // run is on a loaded machine; the order the scheduler starts them is what fairness decides.
        var recorder = new StartOrderRecorder(harness.Services.GetRequiredService<IMetricEvaluator>());
        var worker = ActivatorUtilities.CreateInstance<EvaluationWorker>(harness.Services, scheduler, (IMetricEvaluator)recorder);
        IReadOnlyList<IncomingMessage> delivery = messages;
        for (var attempt = 1; delivery.Count > 0; attempt++)
        {
            try
            {
                await worker.HandleAsync(delivery, CancellationToken.None);
                delivery = [];
            }
            catch (RetryLaterException later) when (attempt < 20)
            {
                // A busy Python pool defers a task; the log would redeliver it, and so does the test.
                await Task.Delay(later.Deferred.Max(d => d.Delay));
                delivery = later.Deferred.Select(d => d.Message with { DeliveryCount = d.Message.DeliveryCount + 1 }).ToList();
            }
        }

        // Round-robin starts them F,O,F,O,F... (FairSchedulerTests checks that order exactly); first come first served
        // would start the other's two last (13th and 14th). An evaluation reaches the evaluator after a metric lookup in
        // PostgreSQL, whose latency varies on a loaded machine (CI once saw the second O 9th), so the bound here only
        // separates taking turns from running the flood's backlog first. Only each task's first start counts: a task the
        // busy pool deferred starts again in a later delivery, after the whole first one.
        var starts = recorder.FirstStarts;
        var lastOther = starts.ToList().LastIndexOf(other.ToString());
        Assert.True(lastOther is >= 0 and < 11,
            $"The other project's last evaluation started as number {lastOther + 1}: {string.Join(",", starts.Select(p => p == flood.ToString() ? "F" : "O"))}");
        var scored = await Eventually.ValueAsync(async () =>
        {
            var all = await harness.ReadStreamAsync(Streams.Events, Topics.EventsScored);
            return all.Select(m => JsonNode.Parse(m.Data!)!["data"]!["project_id"]!.GetValue<string>())
                .Where(p => p == flood.ToString() || p == other.ToString()).ToList();
        }, o => o.Count == 14, "fourteen scores");
        Assert.Equal(2, scored.Count(p => p == other.ToString()));
    }

    /// <summary>The real evaluator, recording the project of each call in the order the calls start.</summary>
    /// <summary>The project of each event in the order its evaluation first started; a retry of the same event is not a new start.</summary>
    private sealed class StartOrderRecorder(IMetricEvaluator inner) : IMetricEvaluator
    {
        private readonly List<string> projects = [];
        private readonly HashSet<string> started = [];

        public IReadOnlyList<string> FirstStarts
        {
            get { lock (projects) return projects.ToList(); }
        }

        public Task<EvaluationResult> EvaluateAsync(EvaluationRequest request, CancellationToken cancellationToken)
        {
            var eventId = request.Event["event_id"]!.GetValue<string>();
            lock (projects)
            {
                if (started.Add(eventId)) projects.Add(request.ProjectId);
            }

            return inner.EvaluateAsync(request, cancellationToken);
        }
    }
}
