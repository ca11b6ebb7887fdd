using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;

namespace HoneyHive.Writer.DeadLetters;

/// <summary>A message as it was received, kept whole so a replay sees exactly what the Writer saw.</summary>
public sealed record DeadMessage(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("data")] JsonElement? Data,
    [property: JsonPropertyName("data_base64")] string? DataBase64)
{
    public IncomingMessage ToIncoming() => new(
        Topic,
        Id,
        Data is { } json ? Encoding.UTF8.GetBytes(json.GetRawText()) : Convert.FromBase64String(DataBase64 ?? ""),
        1);
}

/// <summary>A batch that could not be written, with the reason.</summary>
public sealed record DeadLetter(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("failed_at")] DateTimeOffset FailedAt,
    [property: JsonPropertyName("messages")] IReadOnlyList<DeadMessage> Messages);

/// <summary>
/// Dead letters in the object store under <c>deadletters/events/yyyy/MM/dd/&lt;id&gt;.json</c>. The id
/// hashes the message ids, so the same batch failing again on the same day overwrites its letter.
/// </summary>
public sealed class DeadLetterStore(IObjectStore objects, WriterOptions options, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async Task<string> WriteAsync(IReadOnlyList<IncomingMessage> messages, string reason, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', messages.Select(m => m.Id)))))[..32];
        var now = clock.GetUtcNow();
        var letter = new DeadLetter(id, reason, now, messages.Select(ToDead).ToList());
        var key = $"{options.DeadLetterPrefix}{now.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture)}/{id}.json";
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(letter, Json));
        await objects.PutAsync(key, content, cancellationToken);
        return key;
    }

    public IAsyncEnumerable<string> ListAsync(CancellationToken cancellationToken) =>
        objects.ListAsync(options.DeadLetterPrefix, cancellationToken);

    public async Task<DeadLetter?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await using var stream = await objects.GetAsync(key, cancellationToken);
        return stream is null ? null : await JsonSerializer.DeserializeAsync<DeadLetter>(stream, Json, cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => objects.DeleteAsync(key, cancellationToken);

    private static DeadMessage ToDead(IncomingMessage message)
    {
        try
        {
            using var document = JsonDocument.Parse(message.Data);
            return new DeadMessage(message.Topic, message.Id, document.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return new DeadMessage(message.Topic, message.Id, null, Convert.ToBase64String(message.Data.Span));
        }
    }
}
