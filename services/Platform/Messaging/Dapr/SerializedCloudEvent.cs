using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr;

namespace HoneyHive.Platform.Messaging.Dapr;

/// <summary>
/// A CloudEvent we serialized ourselves. Deriving from Dapr's <see cref="CloudEvent"/> makes the SDK's
/// bulk publish mark the entry <c>application/cloudevents+json</c> (so the sidecar keeps our envelope
/// instead of wrapping it), and the converter writes our bytes unchanged.
/// </summary>
[JsonConverter(typeof(SerializedCloudEventConverter))]
internal sealed class SerializedCloudEvent(ReadOnlyMemory<byte> json) : CloudEvent
{
    public ReadOnlyMemory<byte> Json { get; } = json;
}

internal sealed class SerializedCloudEventConverter : JsonConverter<SerializedCloudEvent>
{
    public override SerializedCloudEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new SerializedCloudEvent(JsonSerializer.SerializeToUtf8Bytes(document.RootElement));
    }

    public override void Write(Utf8JsonWriter writer, SerializedCloudEvent value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json.Span, skipInputValidation: false);
}
