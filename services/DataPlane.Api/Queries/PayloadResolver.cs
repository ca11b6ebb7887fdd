using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Platform.Objects;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Loads the buckets the Writer moved to the object store (<see cref="PayloadReference"/>) for a page of
/// rows, so <see cref="EventRowJson"/> writes whole values instead of previews. Only references inside the
/// caller's project folder are followed: a client could send a bucket key that looks like one.
/// </summary>
public sealed class PayloadResolver(IServiceProvider services, ILogger<PayloadResolver> logger)
{
    private static readonly string[] MovableBuckets = ["inputs", "outputs"];

    /// <summary>Largest object read back; a bigger one stays a preview.</summary>
    public const long MaxPayloadBytes = 64L * 1024 * 1024;

    private readonly IObjectStore? objects = services.GetService<IObjectStore>();

    /// <summary>Object key → the bucket's full JSON object text, for every reference in the rows.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> LoadAsync(IEnumerable<JsonElement> rows, Guid project, CancellationToken cancellationToken)
    {
        if (objects is null) return null;
        Dictionary<string, string>? loaded = null;
        foreach (var row in rows)
        {
            foreach (var bucket in MovableBuckets)
            {
                if (Reference(row, bucket) is not { } reference || loaded?.ContainsKey(reference.Key) == true) continue;
                if (!PayloadReference.BelongsTo(reference.Key, project.ToString()) || reference.Bytes > MaxPayloadBytes) continue;
                await using var stream = await objects.GetAsync(reference.Key, cancellationToken);
                if (stream is null)
                {
                    logger.LogWarning("Payload {Key} is missing; the preview is returned", reference.Key);
                    continue;
                }

                using var reader = new StreamReader(stream);
                (loaded ??= new(StringComparer.Ordinal))[reference.Key] = await reader.ReadToEndAsync(cancellationToken);
            }
        }

        return loaded;
    }

    /// <summary>The reference in a row's bucket (a map of key → JSON text), if any.</summary>
    public static PayloadReference? Reference(JsonElement row, string bucket)
    {
        if (!row.TryGetProperty(bucket, out var map) || map.ValueKind != JsonValueKind.Object
            || !map.TryGetProperty(PayloadReference.MarkerKey, out var text) || text.ValueKind != JsonValueKind.String) return null;
        try
        {
            return JsonSerializer.Deserialize<PayloadReference>(text.GetString()!);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
