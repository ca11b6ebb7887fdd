using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Writer.Tests;

/// <summary>Inputs/outputs above Writer:LargePayloadBytes go to the object store; the row keeps a preview and a reference.</summary>
[Collection(WriterCollection.Name)]
public sealed class LargePayloadTests(ChdbFixture chdb)
{
    private const double T0 = 1_767_225_600_000;

    [Fact]
    public async Task A_large_output_moves_to_the_object_store_and_the_row_keeps_a_preview()
    {
        await using var writer = await WriterHarness.StartAsync(chdb, new Dictionary<string, string?>
        {
            ["Writer:LargePayloadBytes"] = "4096",
            ["Writer:PreviewChars"] = "100",
        });
        var session = Guid.NewGuid().ToString();
        var answer = string.Concat(Enumerable.Repeat("A long answer with ünïcode and \"quotes\". ", 500));
        var model = writer.Event(session, "model", T0, T0 + 1_000, e =>
        {
            e.Inputs["question"] = "short";
            e.Outputs["content"] = answer;
            e.Outputs["role"] = "assistant";
            e.SessionAutoCreate = true;
        });
        await writer.PublishAsync(model);

        var rows = await writer.WaitForAsync(r => r.Count == 2, "the event and its auto-created session");
        var row = rows.Single(r => r.EventId == model.EventId);
        Assert.Equal("\"short\"", row.Inputs["question"]);
        Assert.False(row.Inputs.ContainsKey(PayloadReference.MarkerKey));
        Assert.Equal("\"assistant\"", row.Outputs["role"]);
        var preview = JsonSerializer.Deserialize<string>(row.Outputs["content"])!;
        Assert.EndsWith("…", preview, StringComparison.Ordinal);
        Assert.True(preview.Length <= 101, $"preview of {preview.Length} chars");

        var reference = JsonSerializer.Deserialize<PayloadReference>(row.Outputs[PayloadReference.MarkerKey])!;
        Assert.True(PayloadReference.BelongsTo(reference.Key, writer.ProjectId), reference.Key);
        await using var stored = await writer.Services.GetRequiredService<IObjectStore>().GetAsync(reference.Key, CancellationToken.None);
        Assert.NotNull(stored);
        using var whole = await JsonDocument.ParseAsync(stored!);
        Assert.Equal(answer, whole.RootElement.GetProperty("content").GetString());
        Assert.Equal("assistant", whole.RootElement.GetProperty("role").GetString());

        // The session takes its outputs from the final event: the same preview and reference, not a second copy.
        var sessionRow = rows.Single(r => r.IsSession);
        Assert.Equal(row.Outputs[PayloadReference.MarkerKey], sessionRow.Outputs[PayloadReference.MarkerKey]);
    }

    [Fact]
    public async Task Settings_that_would_leave_no_room_for_a_preview_stop_the_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WriterHarness.StartAsync(chdb, new Dictionary<string, string?>
        {
            ["Writer:LargePayloadBytes"] = "100",
            ["Writer:PreviewChars"] = "100",
        }, start: false));
        Assert.Contains("Writer:LargePayloadBytes", error.Message, StringComparison.Ordinal);
    }
}
