using System.Globalization;
using System.Text;
using System.Text.Json;
using HoneyHive.Contracts.Events;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// Inputs/outputs the Writer moved to the object store: reads return the stored whole value in place of
/// the row's preview, and a reference outside the caller's project is never followed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LargePayloadTests(ApiFixture fixture)
{
    private const ulong Version = 1UL << 32;

    [Fact]
    public async Task Event_session_tree_and_search_return_the_whole_moved_output()
    {
        var project = Tenants.D.ProjectId.ToString();
        var session = Guid.NewGuid().ToString();
        var eventId = Guid.NewGuid().ToString();
        var whole = new string('x', 200_000) + "-end";
        var key = await StoreAsync(project, eventId, "outputs", new { content = whole, role = "assistant" });
        await InsertAsync(project, session, eventId, outputs: new Dictionary<string, string>
        {
            ["content"] = JsonSerializer.Serialize(whole[..50] + "…"),
            ["role"] = "\"assistant\"",
            [PayloadReference.MarkerKey] = JsonSerializer.Serialize(new PayloadReference(key, whole.Length + 40)),
        });
        var client = fixture.Client("key-d");

        var single = await (await client.GetAsync($"/v1/events/{eventId}")).ReadJsonAsync();
        var outputs = single.GetProperty("event").GetProperty("outputs");
        Assert.Equal(whole, outputs.GetProperty("content").GetString());
        Assert.Equal("assistant", outputs.GetProperty("role").GetString());
        Assert.False(outputs.TryGetProperty(PayloadReference.MarkerKey, out _));

        var tree = await (await client.GetAsync($"/v1/sessions/{session}")).ReadJsonAsync();
        Assert.Contains(whole, tree.GetRawText(), StringComparison.Ordinal);

        var page = await client.SearchAsync(new
        {
            filters = new[] { new { field = "event_id", @operator = "is", value = eventId, type = "string" } },
            projections = new[] { "event_id", "outputs.content" },
        });
        var found = page.GetProperty("events").EnumerateArray().Single();
        Assert.Equal(whole, found.GetProperty("outputs").GetProperty("content").GetString());
        Assert.False(found.GetProperty("outputs").TryGetProperty("role", out _));
    }

    [Fact]
    public async Task A_reference_into_another_projects_folder_returns_the_preview_not_that_data()
    {
        var project = Tenants.D.ProjectId.ToString();
        var foreignEvent = Guid.NewGuid().ToString();
        var foreignKey = await StoreAsync(Tenants.B.ProjectId.ToString(), foreignEvent, "inputs", new { secret = "project B's prompt" });
        var eventId = Guid.NewGuid().ToString();
        await InsertAsync(project, Guid.NewGuid().ToString(), eventId, inputs: new Dictionary<string, string>
        {
            ["question"] = "\"preview…\"",
            [PayloadReference.MarkerKey] = JsonSerializer.Serialize(new PayloadReference(foreignKey, 40)),
        });

        var body = await (await fixture.Client("key-d").GetAsync($"/v1/events/{eventId}")).ReadJsonAsync();

        Assert.DoesNotContain("project B's prompt", body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("preview…", body.GetProperty("event").GetProperty("inputs").GetProperty("question").GetString());
    }

    private async Task<string> StoreAsync(string project, string eventId, string bucket, object value)
    {
        var key = PayloadReference.KeyFor(project, eventId, Version, bucket);
        await using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value));
        await fixture.Objects.PutAsync(key, content, CancellationToken.None);
        return key;
    }

    private Task InsertAsync(string project, string session, string eventId, Dictionary<string, string>? inputs = null, Dictionary<string, string>? outputs = null)
    {
        var time = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var row = new Dictionary<string, object?>
        {
            ["event_id"] = eventId, ["project_id"] = project, ["session_id"] = session, ["parent_id"] = session, ["event_type"] = "model",
            ["event_name"] = "big-call", ["source"] = "test", ["start_time"] = time, ["end_time"] = time,
            ["inputs"] = inputs ?? [], ["outputs"] = outputs ?? [], ["version"] = Version,
        };
        return fixture.Store.InsertJsonEachRowAsync("events", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(row) + "\n"), CancellationToken.None);
    }
}
