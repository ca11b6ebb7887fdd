using System.Text.Json;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Reads from an <c>events.ingested</c> CloudEvent only what a consumer needs to route it, without building the
/// document: consumers that care about a few projects (alerts, online evaluation) skip the rest cheaply.
/// </summary>
public static class EventEnvelope
{
    /// <summary>The envelope's <c>data.project_id</c>, or null when it has none; throws <see cref="JsonException"/> on malformed JSON.</summary>
    public static string? ProjectId(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        if (!SeekProperty(ref reader, "data"u8) || !reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        if (!SeekProperty(ref reader, "project_id"u8)) return null;
        reader.Read();
        return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    /// <summary>Moves to the named property of the object being read (skipping the others); false when it has none.</summary>
    private static bool SeekProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name)) return true;
            reader.Skip();
        }
        return false;
    }
}
