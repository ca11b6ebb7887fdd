using OpenTelemetry.Proto.Common.V1;

namespace HoneyHive.Ingestion.Normalization;

/// <summary>OTLP AnyValue → an event value (<see cref="EventJson"/>), enforcing value size and nesting depth.</summary>
public static class AnyValueConverter
{
    public static object? ToJson(AnyValue? value, IngestLimits limits, Truncation truncation, string key, int depth = 0)
    {
        if (value is null) return null;
        if (depth >= limits.MaxDepth)
        {
            truncation.ValueTruncated(key);
            return Clip(value.ToString(), limits.MaxValueLength);
        }

        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                var text = value.StringValue;
                if (text.Length > limits.MaxValueLength)
                {
                    truncation.ValueTruncated(key);
                    text = Clip(text, limits.MaxValueLength);
                }
                return text;
            case AnyValue.ValueOneofCase.BoolValue:
                return EventJson.Box(value.BoolValue);
            case AnyValue.ValueOneofCase.IntValue:
                return value.IntValue;
            case AnyValue.ValueOneofCase.DoubleValue:
                // JSON has no NaN or infinity; keep the fact as text rather than fail the span.
                return double.IsFinite(value.DoubleValue) ? value.DoubleValue : value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
            case AnyValue.ValueOneofCase.BytesValue:
                return Convert.ToBase64String(value.BytesValue.Span);
            case AnyValue.ValueOneofCase.ArrayValue:
                var array = new EventArray();
                foreach (var item in value.ArrayValue.Values) array.Add(ToJson(item, limits, truncation, key, depth + 1));
                return array;
            case AnyValue.ValueOneofCase.KvlistValue:
                var map = new EventObject();
                foreach (var kv in value.KvlistValue.Values)
                {
                    map[SafeKeys.Clean(kv.Key, limits, truncation)] = ToJson(kv.Value, limits, truncation, key, depth + 1);
                }
                return map;
            default:
                return null;
        }
    }

    /// <summary>Cuts at a char boundary that does not split a surrogate pair.</summary>
    public static string Clip(string text, int maxLength)
    {
        if (text.Length <= maxLength) return text;
        var cut = maxLength;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut];
    }
}
