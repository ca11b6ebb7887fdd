using System.Text.Json.Serialization;

namespace HoneyHive.ControlPlane.Api.Http;

/// <summary>The control-plane spec's response body: <c>{success, data}</c>.</summary>
public sealed record Envelope<T>(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("data")] T Data);

public static class Envelope
{
    public static Envelope<T> Of<T>(T data) => new(true, data);
}

/// <summary>A page of a list and the opaque cursor of the next one (null on the last page).</summary>
public sealed record PagedEnvelope<T>(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("data")] IReadOnlyList<T> Data,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);
