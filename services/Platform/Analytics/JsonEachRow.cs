using System.Text.Json;

namespace HoneyHive.Platform.Analytics;

/// <summary>Reads ClickHouse's JSONEachRow output (one JSON object per line) into detached elements.</summary>
internal static class JsonEachRow
{
    public static IReadOnlyList<JsonElement> Parse(ReadOnlySpan<byte> output)
    {
        if (output.IsEmpty) return [];
        var rows = new List<JsonElement>();
        var reader = new Utf8JsonReader(output, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            // ParseValue copies the value out, so the rows outlive the output buffer.
            rows.Add(JsonElement.ParseValue(ref reader));
        }

        return rows;
    }
}
