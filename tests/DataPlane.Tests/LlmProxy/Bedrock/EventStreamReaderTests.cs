using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Providers.Bedrock;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

[Trait("Servers", "None")]
public sealed class EventStreamReaderTests
{
    [Fact]
    public async Task Frames_delivered_one_byte_per_read_come_out_whole_with_their_headers_and_payloads()
    {
        var bytes = EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" })
            .Concat(EventStreamFrames.Exception("throttlingException", "slow down")).ToArray();

        var messages = await ReadAllAsync(new OneByteStream(bytes));

        Assert.Equal(2, messages.Count);
        Assert.Equal("messageStart", messages[0].Header(":event-type"));
        Assert.Equal("""{"role":"assistant"}""", Encoding.UTF8.GetString(messages[0].Payload.Span));
        Assert.Equal("exception", messages[1].Header(":message-type"));
        Assert.Equal("throttlingException", messages[1].Header(":exception-type"));
    }

    [Fact]
    public async Task A_prelude_whose_crc_does_not_match_is_refused()
    {
        var frame = EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" });
        frame[3] ^= 0x04; // the total length changes under its CRC

        var error = await Assert.ThrowsAsync<EventStreamFormatException>(() => ReadAllAsync(new MemoryStream(frame)));
        Assert.Contains("prelude CRC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_that_ends_inside_a_frame_is_refused()
    {
        var frame = EventStreamFrames.Event("messageStart", new JsonObject { ["role"] = "assistant" });

        var error = await Assert.ThrowsAsync<EventStreamFormatException>(() => ReadAllAsync(new MemoryStream(frame[..^5])));
        Assert.Contains("ended inside a frame", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<EventStreamMessage>> ReadAllAsync(Stream stream)
    {
        var messages = new List<EventStreamMessage>();
        await foreach (var message in EventStreamReader.ReadAsync(stream, CancellationToken.None)) messages.Add(message);
        return messages;
    }

    /// <summary>A network stream at its most fragmented: every read returns one byte.</summary>
    private sealed class OneByteStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
