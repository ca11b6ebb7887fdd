using System.Net;
using System.Text.Json.Nodes;
using static HoneyHive.Evaluation.Tests.Queues.QueueHttp;

namespace HoneyHive.Evaluation.Tests.Queues;

[Collection(QueuesCollection.Name)]
public sealed class QueueItemsTests(QueuesFixture fixture)
{
    private static IReadOnlyList<string> EventIds(JsonNode page) => [.. page["items"]!.AsArray().Select(i => i!["event_id"]!.GetValue<string>())];

    [Fact]
    public async Task Items_are_the_named_events_then_the_filter_matches_paged_with_a_limit_and_a_cursor()
    {
        var tag = "items-" + Guid.NewGuid().ToString("N")[..8];
        var named = await fixture.IngestAsync(Callers.A.ProjectId, [("named", null, null), ("named", null, null)]);
        var matching = await fixture.IngestAsync(Callers.A.ProjectId,
            [("m", new JsonObject { ["tag"] = tag }, null), ("m", new JsonObject { ["tag"] = tag }, null), ("m", new JsonObject { ["tag"] = tag }, null)]);
        await fixture.IngestAsync(Callers.A.ProjectId, [("other", new JsonObject { ["tag"] = "not-" + tag }, null)]);
        var client = fixture.Client(Callers.KeyA);
        var id = await CreateQueueAsync(client, new
        {
            name = "items",
            event_ids = named,
            filters = new { filterArray = new[] { new { field = "metadata.tag", @operator = "is", value = tag, type = "string" } } },
        });

        var first = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?limit=3", null, HttpStatusCode.OK);
        Assert.Equal([named[0], named[1], matching[0]], EventIds(first));
        Assert.All(first["items"]!.AsArray(), i => Assert.Equal("pending", i!["status"]!.GetValue<string>()));
        Assert.Equal("event_ids", first["items"]![0]!["source"]!.GetValue<string>());
        Assert.Equal("filters", first["items"]![2]!["source"]!.GetValue<string>());
        Assert.Equal("named", first["items"]![0]!["event"]!["event_name"]!.GetValue<string>());
        var cursor = first["next_cursor"]!.GetValue<string>();

        var second = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?limit=3&cursor={cursor}", null, HttpStatusCode.OK);
        Assert.Equal([matching[1], matching[2]], EventIds(second));
        Assert.Null(second["next_cursor"]);
        Assert.Equal(["limit"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?limit=201", null));
        Assert.Equal(["cursor"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?cursor=abc", null));
        Assert.Equal(["status"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?status=done", null));
    }

    [Fact]
    public async Task Removed_events_leave_the_queue_and_added_ones_join_it()
    {
        var events = await fixture.IngestAsync(Callers.A.ProjectId, [("r", null, null), ("r", null, null), ("r", null, null)]);
        var client = fixture.Client(Callers.KeyA);
        var id = await CreateQueueAsync(client, new { name = "remove", event_ids = events.Take(2) });
        await ExpectAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { id, add_event_ids = new[] { events[2] }, remove_event_ids = new[] { events[0] } }, HttpStatusCode.OK);
        var page = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items", null, HttpStatusCode.OK);
        Assert.Equal([events[1], events[2]], EventIds(page));
    }

    [Fact]
    public async Task An_event_id_of_another_project_or_of_no_event_is_refused_naming_its_position()
    {
        var theirs = await fixture.IngestAsync(Callers.B.ProjectId, [("b-event", null, null)]);
        var ours = await fixture.IngestAsync(Callers.A.ProjectId, [("a-event", null, null)]);
        var client = fixture.Client(Callers.KeyA);
        Assert.Equal(["event_ids[1]", "event_ids[2]"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues",
            new { name = "tenancy", event_ids = new[] { ours[0], theirs[0], "no-such-event" } }));
        var id = await CreateQueueAsync(client, new { name = "tenancy", event_ids = ours });
        Assert.Equal(["add_event_ids[0]"], await ErrorFieldsAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { id, add_event_ids = theirs }));
    }

    [Fact]
    public async Task Items_are_handed_to_the_assignees_in_turn_and_assignee_me_lists_the_callers()
    {
        var events = await fixture.IngestAsync(Callers.A.ProjectId, [("rr", null, null), ("rr", null, null), ("rr", null, null), ("rr", null, null), ("rr", null, null)]);
        var client = fixture.Client(Callers.AliceA);
        var id = await CreateQueueAsync(client, new { name = "round-robin", event_ids = events, assignees = new[] { Callers.Alice, Callers.Bob } });

        var page = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items", null, HttpStatusCode.OK);
        var assignees = page["items"]!.AsArray().Select(i => i!["assignee"]!.GetValue<string>()).ToList();
        string alice = Callers.Alice.ToString(), bob = Callers.Bob.ToString();
        Assert.Equal([alice, bob, alice, bob, alice], assignees);

        Assert.Equal([events[0], events[2], events[4]], EventIds(await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?assignee=me", null, HttpStatusCode.OK)));
        Assert.Equal([events[1], events[3]], EventIds(await ExpectAsync(fixture.Client(Callers.BobA), HttpMethod.Get, $"/v1/queues/{id}/items?assignee=me", null, HttpStatusCode.OK)));
        Assert.Equal([events[1], events[3]], EventIds(await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}/items?assignee={bob}", null, HttpStatusCode.OK)));
        // A key is no member: "me" means nothing for it.
        Assert.Equal(["assignee"], await ErrorFieldsAsync(fixture.Client(Callers.KeyA), HttpMethod.Get, $"/v1/queues/{id}/items?assignee=me", null));
    }

    [Fact]
    public async Task Without_assignees_an_item_goes_to_the_first_member_who_scores_it()
    {
        await fixture.CreateMetricAsync(Callers.A.ProjectId, new JsonObject { ["name"] = "claim_ok", ["type"] = "HUMAN", ["criteria"] = "Is it fine?", ["return_type"] = "boolean" });
        var events = await fixture.IngestAsync(Callers.A.ProjectId, [("claim", null, null), ("claim", null, null)]);
        var bob = fixture.Client(Callers.BobA);
        var id = await CreateQueueAsync(bob, new { name = "claim", event_ids = events });
        await ExpectAsync(bob, HttpMethod.Post, $"/v1/queues/{id}/items/{events[1]}/scores", new { metric = "claim_ok", value = true }, HttpStatusCode.OK);
        await ExpectAsync(fixture.Client(Callers.AliceA), HttpMethod.Post, $"/v1/queues/{id}/items/{events[1]}/scores", new { metric = "claim_ok", value = false }, HttpStatusCode.OK);

        Assert.Equal([events[1]], EventIds(await ExpectAsync(bob, HttpMethod.Get, $"/v1/queues/{id}/items?assignee=me", null, HttpStatusCode.OK)));
        Assert.Equal([events[0]], EventIds(await ExpectAsync(bob, HttpMethod.Get, $"/v1/queues/{id}/items?status=pending", null, HttpStatusCode.OK)));
        var scored = await ExpectAsync(bob, HttpMethod.Get, $"/v1/queues/{id}/items?status=scored", null, HttpStatusCode.OK);
        Assert.Equal([events[1]], EventIds(scored));
        Assert.Equal(2, scored["items"]![0]!["scores"]!.AsArray().Count);
    }
}
