using System.Text.Json;
using HoneyHive.Bench.Load;
using HoneyHive.Platform.Objects;
using HoneyHive.Writer;
using HoneyHive.Writer.DeadLetters;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Chaos;

/// <summary>
/// The Writer's dead letters in the Host's object store (a folder): how many letters and events they
/// hold, and the replay, which is the code `./hh dlq replay` runs (the Writer's <c>dlq replay --publish</c>
/// while a Host runs: the messages go back on the message log for its Writer).
/// </summary>
public sealed class DeadLetterCount(string objectStorePath, string natsUrl)
{
    private readonly DeadLetterStore store = new(
        new FileSystemObjectStore(objectStorePath, NullLogger<FileSystemObjectStore>.Instance), new WriterOptions(), TimeProvider.System);

    public async Task<(int Letters, long Events)> CountAsync(CancellationToken ct)
    {
        var letters = 0;
        long events = 0;
        await foreach (var key in store.ListAsync(ct))
        {
            var letter = await store.ReadAsync(key, ct);
            if (letter is null) continue;
            letters++;
            foreach (var message in letter.Messages)
            {
                // The envelope is the CloudEvent; its data holds the events array (EventBatchPublisher).
                if (message.Data is { ValueKind: JsonValueKind.Object } envelope
                    && envelope.TryGetProperty("data", out var data)
                    && data.TryGetProperty("events", out var list)
                    && list.ValueKind == JsonValueKind.Array)
                {
                    events += list.GetArrayLength();
                }
            }
        }
        return (letters, events);
    }

    /// <summary>
    /// The spans of one run (by its <c>bench_run_id</c>) that dead letters hold now, by trace and span id:
    /// what may offset a missing acknowledged span. Letters of other runs, or from before, offset nothing.
    /// </summary>
    public async Task<HashSet<SpanKey>> SpanKeysAsync(string runId, CancellationToken ct)
    {
        var keys = new HashSet<SpanKey>();
        await foreach (var key in store.ListAsync(ct))
        {
            var letter = await store.ReadAsync(key, ct);
            if (letter is null) continue;
            foreach (var message in letter.Messages)
            {
                foreach (var item in Events(message.Data))
                {
                    if (!item.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object) continue;
                    if (Text(metadata, "bench_run_id") != runId) continue;
                    if (SpanKey.FromHex(Text(metadata, "trace_id"), Text(metadata, "span_id")) is { } span) keys.Add(span);
                }
            }
        }
        return keys;
    }

    private static IEnumerable<JsonElement> Events(JsonElement? data) =>
        data is { ValueKind: JsonValueKind.Object } envelope
        && envelope.TryGetProperty("data", out var body)
        && body.TryGetProperty("events", out var list)
        && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : [];

    private static string? Text(JsonElement bucket, string name) =>
        bucket.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>`dlq replay --publish` against this Host's object store and NATS; the exit code.</summary>
    public Task<int> ReplayAsync() => DeadLetterCommand.RunAsync(
        ["replay", "--publish", $"--ObjectStore:Path={objectStorePath}", $"--ConnectionStrings:nats={natsUrl}"]);
}
