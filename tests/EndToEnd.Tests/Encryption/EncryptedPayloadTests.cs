using System.Net;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Objects.Encryption;

namespace HoneyHive.EndToEnd.Tests.Encryption;

/// <summary>
/// The Host as ./hh up runs it (Secrets:MasterKey set): an output too large for the events table goes to the object
/// store encrypted under the project's data key, and the data plane still returns it whole.
/// </summary>
public sealed class EncryptedPayloadTests(HostProcess host) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task A_large_output_is_encrypted_on_disk_and_read_back_whole()
    {
        using var client = host.Client(host.DataPlaneApi, host.ApiKey);
        var marker = $"plaintext-marker-{Guid.NewGuid():N}";
        var whole = string.Concat(Enumerable.Repeat(marker + " ", 8_000)); // ≈ 400 KB, beyond Writer:LargePayloadBytes
        var body = JsonSerializer.Serialize(new
        {
            event_type = "model", event_name = "big-answer", source = "e2e",
            inputs = new { prompt = "hi" }, outputs = new { content = whole },
            start_time = 1_700_000_000_000, end_time = 1_700_000_000_250,
        });
        using var posted = await client.PostAsync(new Uri("/v1/events", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var eventId = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString();

        var read = await Eventually.ValueAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri($"/v1/events/{eventId}", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
        }, text => text is not null, "the event to be written");
        var content = JsonDocument.Parse(read!).RootElement.GetProperty("event").GetProperty("outputs").GetProperty("content").GetString();
        Assert.Equal(whole, content);

        var payloads = Directory.GetFiles(Path.Combine(host.WorkingDirectory, ".data", "objects", "payloads", host.ProjectId), "*.json", SearchOption.AllDirectories);
        Assert.NotEmpty(payloads);
        foreach (var file in payloads)
        {
            var stored = await File.ReadAllBytesAsync(file);
            Assert.True(stored.AsSpan().StartsWith(EncryptedObjectFormat.Magic), $"{file} has no encryption header");
            Assert.True(stored.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) < 0, $"{file} holds the plaintext");
        }
    }
}
