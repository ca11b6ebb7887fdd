using System.Net;
using System.Text.Json.Nodes;
using static HoneyHive.Evaluation.Tests.Queues.QueueHttp;

namespace HoneyHive.Evaluation.Tests.Queues;

[Collection(QueuesCollection.Name)]
public sealed class QueueCrudTests(QueuesFixture fixture)
{
    private static readonly string[] SpecFields =
        ["created_at", "description", "enabled", "filters", "id", "is_active", "name", "scope_id", "scope_type", "updated_at"];

    [Fact]
    public async Task A_created_queue_answers_201_with_every_field_of_the_spec_and_reads_back_the_same()
    {
        var client = fixture.Client(Callers.KeyA);
        var created = await ExpectAsync(client, HttpMethod.Post, "/v1/queues", new
        {
            name = "crud-review",
            description = "Check the answers",
            filters = new { filterArray = new[] { new { field = "event_name", @operator = "is", value = "crud-nothing-matches", type = "string" } } },
        }, HttpStatusCode.Created);
        Assert.Equal("Queue created.", created["message"]!.GetValue<string>());
        var queue = created["queue"]!.AsObject();
        foreach (var field in SpecFields) Assert.True(queue.ContainsKey(field), $"missing {field}");
        Assert.Equal("crud-review", queue["name"]!.GetValue<string>());
        Assert.Equal("Check the answers", queue["description"]!.GetValue<string>());
        Assert.True(queue["enabled"]!.GetValue<bool>());
        Assert.True(queue["is_active"]!.GetValue<bool>());
        Assert.Equal("project", queue["scope_type"]!.GetValue<string>());
        Assert.Equal(Callers.A.ProjectId.ToString(), queue["scope_id"]!.GetValue<string>());
        Assert.Null(queue["updated_at"]);
        Assert.Equal("event_name", queue["filters"]!["filterArray"]![0]!["field"]!.GetValue<string>());

        var id = queue["id"]!.GetValue<string>();
        var read = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}", null, HttpStatusCode.OK);
        Assert.Equal(queue.ToJsonString(), read.ToJsonString());

        var updated = await ExpectAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { id, name = "crud-renamed", enabled = false }, HttpStatusCode.OK);
        Assert.Equal("crud-renamed", updated["queue"]!["name"]!.GetValue<string>());
        Assert.False(updated["queue"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("Check the answers", updated["queue"]!["description"]!.GetValue<string>());
        Assert.NotNull(updated["queue"]!["updated_at"]);
    }

    [Fact]
    public async Task A_create_with_only_a_name_takes_the_spec_defaults()
    {
        var client = fixture.Client(Callers.KeyA);
        var queue = (await ExpectAsync(client, HttpMethod.Post, "/v1/queues", new { name = "crud-defaults" }, HttpStatusCode.Created))["queue"]!;
        Assert.Equal("", queue["description"]!.GetValue<string>());
        Assert.True(queue["enabled"]!.GetValue<bool>());
        Assert.Empty(queue["filters"]!["filterArray"]!.AsArray());
    }

    [Fact]
    public async Task Bad_create_bodies_are_400s_naming_each_field()
    {
        var client = fixture.Client(Callers.KeyA);
        Assert.Equal(["name"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues", new { description = "no name" }));
        Assert.Equal(["description", "name"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues",
            new { name = new string('n', 201), description = new string('d', 1001) }));
        Assert.Equal(["enabled", "event_ids[1]"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues",
            new { name = "x", enabled = "yes", event_ids = new object[] { "ok", 42 } }));
        Assert.Equal(["filters.filterArray[0].field", "filters.filterArray[0].operator", "filters.filterArray[1].type"],
            await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues", new
            {
                name = "x",
                filters = new
                {
                    filterArray = new object[]
                    {
                        new { field = "project_id", @operator = "resembles", value = "a", type = "string" },
                        new { field = "metadata.tier", @operator = "is", value = "a", type = "colour" },
                    },
                },
            }));
        Assert.Equal(["filters.extra"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues",
            new { name = "x", filters = new { filterArray = Array.Empty<object>(), extra = 1 } }));
        Assert.Equal(["assignees[0]"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues", new { name = "x", assignees = new[] { "not-a-user" } }));
        Assert.Equal(["body"], await ErrorFieldsAsync(client, HttpMethod.Post, "/v1/queues", new[] { 1 }));
    }

    [Fact]
    public async Task An_update_needs_the_body_id_of_the_path_queue_and_valid_fields()
    {
        var client = fixture.Client(Callers.KeyA);
        var id = await CreateQueueAsync(client, new { name = "crud-update" });
        Assert.Equal(["id"], await ErrorFieldsAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { name = "no id" }));
        Assert.Equal(["id"], await ErrorFieldsAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { id = Guid.NewGuid().ToString(), name = "other id" }));
        Assert.Equal(["filters.filterArray", "name"], await ErrorFieldsAsync(client, HttpMethod.Put, $"/v1/queues/{id}",
            new { id, name = "", filters = new { } }));
        var unknown = Guid.NewGuid().ToString();
        await ExpectAsync(client, HttpMethod.Put, $"/v1/queues/{unknown}", new { id = unknown, name = "ghost" }, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_list_filters_by_enabled()
    {
        var client = fixture.Client(Callers.KeyA);
        var on = await CreateQueueAsync(client, new { name = "crud-list-on" });
        var off = await CreateQueueAsync(client, new { name = "crud-list-off", enabled = false });
        static IReadOnlyList<string> Ids(JsonNode list) => [.. list["queues"]!.AsArray().Select(q => q!["id"]!.GetValue<string>())];

        var all = Ids(await ExpectAsync(client, HttpMethod.Get, "/v1/queues", null, HttpStatusCode.OK));
        var enabled = Ids(await ExpectAsync(client, HttpMethod.Get, "/v1/queues?enabled=true", null, HttpStatusCode.OK));
        var disabled = Ids(await ExpectAsync(client, HttpMethod.Get, "/v1/queues?enabled=false", null, HttpStatusCode.OK));
        Assert.Contains(on, all);
        Assert.Contains(off, all);
        Assert.Contains(on, enabled);
        Assert.DoesNotContain(off, enabled);
        Assert.Contains(off, disabled);
        Assert.DoesNotContain(on, disabled);
        Assert.Equal(["enabled"], await ErrorFieldsAsync(client, HttpMethod.Get, "/v1/queues?enabled=maybe", null));
        Assert.Equal(["limit"], await ErrorFieldsAsync(client, HttpMethod.Get, "/v1/queues?limit=0", null));
    }

    [Fact]
    public async Task Delete_is_a_soft_delete_the_queue_stops_answering_and_its_row_stays_inactive()
    {
        var client = fixture.Client(Callers.KeyA);
        var id = await CreateQueueAsync(client, new { name = "crud-delete" });
        var deleted = await ExpectAsync(client, HttpMethod.Delete, $"/v1/queues/{id}", null, HttpStatusCode.OK);
        Assert.Equal("Queue deleted.", deleted["message"]!.GetValue<string>());

        await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{id}", null, HttpStatusCode.NotFound);
        await ExpectAsync(client, HttpMethod.Delete, $"/v1/queues/{id}", null, HttpStatusCode.NotFound);
        await ExpectAsync(client, HttpMethod.Put, $"/v1/queues/{id}", new { id, name = "revived" }, HttpStatusCode.NotFound);
        var list = await ExpectAsync(client, HttpMethod.Get, "/v1/queues", null, HttpStatusCode.OK);
        Assert.DoesNotContain(list["queues"]!.AsArray(), q => q!["id"]!.GetValue<string>() == id);

        await using var command = fixture.Dpdb.CreateCommand("SELECT is_active FROM annotation_queues WHERE id = $1");
        command.Parameters.AddWithValue(Guid.Parse(id));
        Assert.Equal(false, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_read_key_reads_queues_but_cannot_change_or_score_them()
    {
        var id = await CreateQueueAsync(fixture.Client(Callers.KeyA), new { name = "crud-read-key" });
        var reader = fixture.Client(Callers.ReadKeyA);
        await ExpectAsync(reader, HttpMethod.Get, $"/v1/queues/{id}", null, HttpStatusCode.OK);
        await ExpectAsync(reader, HttpMethod.Post, "/v1/queues", new { name = "nope" }, HttpStatusCode.Forbidden);
        await ExpectAsync(reader, HttpMethod.Put, $"/v1/queues/{id}", new { id, name = "nope" }, HttpStatusCode.Forbidden);
        await ExpectAsync(reader, HttpMethod.Delete, $"/v1/queues/{id}", null, HttpStatusCode.Forbidden);
        await ExpectAsync(reader, HttpMethod.Post, $"/v1/queues/{id}/items/e1/scores", new { metric = "m", value = 1 }, HttpStatusCode.Forbidden);
    }
}
