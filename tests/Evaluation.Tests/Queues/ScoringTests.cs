using System.Net;
using System.Text.Json.Nodes;
using static HoneyHive.Evaluation.Tests.Queues.QueueHttp;

namespace HoneyHive.Evaluation.Tests.Queues;

[Collection(QueuesCollection.Name)]
public sealed class ScoringTests(QueuesFixture fixture)
{
    private async Task<(string Queue, IReadOnlyList<string> Events)> QueueAsync(string name, int events)
    {
        var ids = await fixture.IngestAsync(Callers.A.ProjectId, Enumerable.Range(0, events).Select(_ => (name, (JsonObject?)null, (JsonObject?)null)));
        return (await CreateQueueAsync(fixture.Client(Callers.KeyA), new { name, event_ids = ids }), ids);
    }

    [Fact]
    public async Task A_score_is_checked_against_the_human_metric_and_each_refusal_names_its_field()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "check_rating", ["type"] = "HUMAN", ["criteria"] = "Rate it", ["return_type"] = "float", ["scale"] = 5 });
        await fixture.CreateMetricAsync(p, new JsonObject
        {
            ["name"] = "check_tone", ["type"] = "HUMAN", ["criteria"] = "Tone", ["return_type"] = "categorical",
            ["categories"] = new JsonArray(new JsonObject { ["category"] = "polite" }, new JsonObject { ["category"] = "rude" }),
        });
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "check_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "check_code", ["type"] = "PYTHON", ["criteria"] = "def f(o):\n  return 1", ["return_type"] = "float" });
        var (queue, events) = await QueueAsync("check", 1);
        var path = $"/v1/queues/{queue}/items/{events[0]}/scores";
        var client = fixture.Client(Callers.AliceA);

        Assert.Equal(["metric", "value"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { comment = "no metric, no value" }));
        Assert.Equal(["metric"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "no_such_metric", value = 1 }));
        Assert.Equal(["metric"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_code", value = 1 }));
        Assert.Equal(["value"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_rating", value = 6 }));
        Assert.Equal(["value"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_rating", value = "five" }));
        Assert.Equal(["value"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_tone", value = "grumpy" }));
        Assert.Equal(["value"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_ok", value = "yes" }));
        Assert.Equal(["comment"], await ErrorFieldsAsync(client, HttpMethod.Post, path, new { metric = "check_ok", value = true, comment = 3 }));

        await ExpectAsync(client, HttpMethod.Post, path, new { metric = "check_rating", value = 5 }, HttpStatusCode.OK);
        await ExpectAsync(client, HttpMethod.Post, path, new { metric = "check_tone", value = "polite" }, HttpStatusCode.OK);
        // An event the queue does not hold is no item of it.
        var outside = await fixture.IngestAsync(p, [("outside", null, null)]);
        await ExpectAsync(client, HttpMethod.Post, $"/v1/queues/{queue}/items/{outside[0]}/scores", new { metric = "check_ok", value = true }, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Two_annotators_scores_are_both_kept_and_the_event_shows_their_mean_with_the_comment_as_explanation()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "mean_rating", ["type"] = "HUMAN", ["criteria"] = "Rate it", ["return_type"] = "float", ["scale"] = 5 });
        var (queue, events) = await QueueAsync("mean", 1);
        var path = $"/v1/queues/{queue}/items/{events[0]}/scores";

        var first = await ExpectAsync(fixture.Client(Callers.AliceA), HttpMethod.Post, path, new { metric = "mean_rating", value = 4, comment = "Mostly right" }, HttpStatusCode.OK);
        Assert.Equal(Callers.Alice.ToString(), first["score"]!["annotator"]!.GetValue<string>());
        Assert.Equal(4, first["event_value"]!.GetValue<double>());
        var second = await ExpectAsync(fixture.Client(Callers.BobA), HttpMethod.Post, path, new { metric = "mean_rating", value = 5 }, HttpStatusCode.OK);
        Assert.Equal(4.5, second["event_value"]!.GetValue<double>());

        var scored = await Eventually.ValueAsync(() => fixture.EventAsync(p, events[0]),
            e => e?["metrics"]?["mean_rating"] is JsonValue v && v.GetValue<double>() == 4.5, "the mean score on the event");
        Assert.Equal("Mostly right", scored!["metrics"]!["mean_rating_explanation"]!.GetValue<string>());

        // Alice changes her mind: her score is replaced, not added, and the event follows.
        await ExpectAsync(fixture.Client(Callers.AliceA), HttpMethod.Post, path, new { metric = "mean_rating", value = 2, comment = "Wrong date" }, HttpStatusCode.OK);
        await Eventually.ValueAsync(() => fixture.EventAsync(p, events[0]),
            e => e?["metrics"]?["mean_rating"] is JsonValue v && v.GetValue<double>() == 3.5, "the new mean on the event");
        var page = await ExpectAsync(fixture.Client(Callers.KeyA), HttpMethod.Get, $"/v1/queues/{queue}/items", null, HttpStatusCode.OK);
        var scores = page["items"]![0]!["scores"]!.AsArray();
        Assert.Equal(2, scores.Count);
        Assert.Equal("scored", page["items"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_boolean_event_shows_the_majority_of_its_annotators()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "majority_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        var (queue, events) = await QueueAsync("majority", 1);
        var path = $"/v1/queues/{queue}/items/{events[0]}/scores";
        await ExpectAsync(fixture.Client(Callers.AliceA), HttpMethod.Post, path, new { metric = "majority_ok", value = false }, HttpStatusCode.OK);
        await ExpectAsync(fixture.Client(Callers.BobA), HttpMethod.Post, path, new { metric = "majority_ok", value = true }, HttpStatusCode.OK);
        var third = await ExpectAsync(fixture.Client(Callers.KeyA), HttpMethod.Post, path, new { metric = "majority_ok", value = true }, HttpStatusCode.OK);
        Assert.StartsWith("key:", third["score"]!["annotator"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(third["event_value"]!.GetValue<bool>());
        await Eventually.ValueAsync(() => fixture.EventAsync(p, events[0]),
            e => e?["metrics"]?["majority_ok"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True, "the majority on the event");
    }

    [Fact]
    public async Task Progress_counts_items_scored_items_per_assignee_and_per_metric()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "progress_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        var events = await fixture.IngestAsync(p, [("pr", null, null), ("pr", null, null), ("pr", null, null), ("pr", null, null)]);
        var alice = fixture.Client(Callers.AliceA);
        var queue = await CreateQueueAsync(alice, new { name = "progress", event_ids = events, assignees = new[] { Callers.Alice, Callers.Bob } });
        await ExpectAsync(alice, HttpMethod.Post, $"/v1/queues/{queue}/items/{events[0]}/scores", new { metric = "progress_ok", value = true }, HttpStatusCode.OK);
        await ExpectAsync(fixture.Client(Callers.BobA), HttpMethod.Post, $"/v1/queues/{queue}/items/{events[0]}/scores", new { metric = "progress_ok", value = true }, HttpStatusCode.OK);
        await ExpectAsync(fixture.Client(Callers.BobA), HttpMethod.Post, $"/v1/queues/{queue}/items/{events[1]}/scores", new { metric = "progress_ok", value = false }, HttpStatusCode.OK);

        var progress = await ExpectAsync(alice, HttpMethod.Get, $"/v1/queues/{queue}/progress", null, HttpStatusCode.OK);
        Assert.Equal(4, progress["total"]!.GetValue<long>());
        Assert.Equal(2, progress["scored"]!.GetValue<long>());
        Assert.Equal(2, progress["pending"]!.GetValue<long>());
        var byAssignee = progress["by_assignee"]!.AsArray().ToDictionary(a => a!["assignee"]!.GetValue<string>(), a => (a!["total"]!.GetValue<long>(), a["scored"]!.GetValue<long>()));
        Assert.Equal((2L, 1L), byAssignee[Callers.Alice.ToString()]);
        Assert.Equal((2L, 1L), byAssignee[Callers.Bob.ToString()]);
        var metric = Assert.Single(progress["by_metric"]!.AsArray());
        Assert.Equal("progress_ok", metric!["metric"]!.GetValue<string>());
        Assert.Equal(2, metric["scored_items"]!.GetValue<long>());
        Assert.Equal(3, metric["scores"]!.GetValue<long>());
    }
}
