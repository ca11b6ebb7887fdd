using System.Net;
using System.Text.Json.Nodes;
using static HoneyHive.Evaluation.Tests.Queues.QueueHttp;

namespace HoneyHive.Evaluation.Tests.Queues;

[Collection(QueuesCollection.Name)]
public sealed class QueueTenancyTests(QueuesFixture fixture)
{
    [Fact]
    public async Task Another_projects_queue_answers_404_on_every_route_and_is_left_unchanged()
    {
        await fixture.CreateMetricAsync(Callers.B.ProjectId, new JsonObject { ["name"] = "b_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        await fixture.CreateMetricAsync(Callers.A.ProjectId, new JsonObject { ["name"] = "b_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        var events = await fixture.IngestAsync(Callers.B.ProjectId, [("b-item", null, null)]);
        var owner = fixture.Client(Callers.KeyB);
        var queue = await CreateQueueAsync(owner, new { name = "b-queue", event_ids = events });

        var intruder = fixture.Client(Callers.KeyA);
        await ExpectAsync(intruder, HttpMethod.Get, $"/v1/queues/{queue}", null, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Put, $"/v1/queues/{queue}", new { id = queue, name = "hijacked" }, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Get, $"/v1/queues/{queue}/items", null, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Post, $"/v1/queues/{queue}/items/{events[0]}/scores", new { metric = "b_ok", value = true }, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Get, $"/v1/queues/{queue}/progress", null, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=b_ok&judge=b_ok", null, HttpStatusCode.NotFound);
        await ExpectAsync(intruder, HttpMethod.Delete, $"/v1/queues/{queue}", null, HttpStatusCode.NotFound);
        var list = await ExpectAsync(intruder, HttpMethod.Get, "/v1/queues", null, HttpStatusCode.OK);
        Assert.DoesNotContain(list["queues"]!.AsArray(), q => q!["id"]!.GetValue<string>() == queue);

        var mine = await ExpectAsync(owner, HttpMethod.Get, $"/v1/queues/{queue}", null, HttpStatusCode.OK);
        Assert.Equal("b-queue", mine["name"]!.GetValue<string>());
        var progress = await ExpectAsync(owner, HttpMethod.Get, $"/v1/queues/{queue}/progress", null, HttpStatusCode.OK);
        Assert.Equal(0, progress["scored"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_filter_queue_never_takes_in_another_projects_events()
    {
        var tag = "tenancy-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.IngestAsync(Callers.B.ProjectId, [("t", new JsonObject { ["tag"] = tag }, null)]);
        var ours = await fixture.IngestAsync(Callers.A.ProjectId, [("t", new JsonObject { ["tag"] = tag }, null)]);
        var client = fixture.Client(Callers.KeyA);
        var queue = await CreateQueueAsync(client, new
        {
            name = "filter-tenancy",
            filters = new { filterArray = new[] { new { field = "metadata.tag", @operator = "is", value = tag, type = "string" } } },
        });
        var page = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/items", null, HttpStatusCode.OK);
        Assert.Equal(ours, page["items"]!.AsArray().Select(i => i!["event_id"]!.GetValue<string>()).ToList());
    }
}
