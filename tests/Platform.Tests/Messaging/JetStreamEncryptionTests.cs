using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>
/// JetStream's file store encrypted as <c>./hh</c> configures it (<c>cipher: chachapoly</c>, the key from the
/// environment): the files hold no plaintext, a restart with the key reads everything back, without it nothing is read.
/// </summary>
public sealed class JetStreamEncryptionTests
{
    private const string Marker = "plaintext-marker-7d1f: the prompt nobody may read";
    // A hex key that reads as a number when unquoted (78e25…): ./hh's keys are random hex, and one in ten or so looks like this.
    private static readonly string Key = "78e25" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(30));

    [Fact]
    public async Task The_store_files_hold_no_plaintext_and_a_restart_with_the_key_reads_the_messages_back()
    {
        await using var server = await PrivateNatsServer.StartAsync(jetStreamKey: Key);
        await PublishAsync(server, count: 50);

        await server.RestartAsync(); // killed, as a crash would; the blocks on disk are what survives
        var files = Directory.EnumerateFiles(server.StoreDirectory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith(".blk", StringComparison.Ordinal));
        foreach (var file in files)
            Assert.False((await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(Encoding.UTF8.GetBytes(Marker)) >= 0, $"{file} holds the plaintext");

        var read = await ReadAllAsync(server);
        Assert.Equal(Enumerable.Range(0, 50).Select(Payload), read);
    }

    [Fact]
    public async Task Without_the_key_the_server_cannot_read_the_stream()
    {
        await using var server = await PrivateNatsServer.StartAsync(jetStreamKey: Key);
        await PublishAsync(server, count: 5);

        server.JetStreamKey = null;
        await server.RestartAsync();

        // nats-server cannot open the encrypted stream metadata without the key: the stream is not there to read.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ReadAllAsync(server));
        Assert.True(refused is NatsJSApiException or NatsJSException, $"expected a JetStream refusal, got {refused}");
        Assert.DoesNotContain(server.Log, line => line.Contains(Marker, StringComparison.Ordinal));
    }

    private const string Stream = "enc-test";

    private static string Payload(int i) => $"{Marker} #{i}";

    private static async Task PublishAsync(PrivateNatsServer server, int count)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig(Stream, ["enc.>"]) { Storage = StreamConfigStorage.File });
        for (var i = 0; i < count; i++)
            (await js.PublishAsync("enc.x", Encoding.UTF8.GetBytes(Payload(i)))).EnsureSuccess();
    }

    private static async Task<List<string>> ReadAllAsync(PrivateNatsServer server)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        var js = new NatsJSContext(nats);
        var stream = await Eventually.ValueAsync(async () =>
        {
            try
            {
                return await js.GetStreamAsync(Stream);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 503)
            {
                return null; // JetStream still starting
            }
        }, s => s is not null, "JetStream to answer after the restart");
        var read = new List<string>();
        for (ulong seq = 1; seq <= stream!.Info.State.LastSeq; seq++)
        {
            var message = await stream.GetAsync(new StreamMsgGetRequest { Seq = seq });
            read.Add(Encoding.UTF8.GetString(message.Message.Data.Span));
        }
        return read;
    }
}
