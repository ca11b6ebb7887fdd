using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace HoneyHive.Ingestion.Tests;

/// <summary>Builds OTLP spans the way exporters send them.</summary>
internal static class Spans
{
    public static readonly byte[] TraceId = Convert.FromHexString("5b8efff798038103d269b633813fc60c");
    public static readonly byte[] SpanId = Convert.FromHexString("eee19b7ec3c1b174");
    public static readonly byte[] ParentSpanId = Convert.FromHexString("eee19b7ec3c1b173");

    public static Span Create(string name, params (string Key, object Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId),
            SpanId = ByteString.CopyFrom(SpanId),
            ParentSpanId = ByteString.CopyFrom(ParentSpanId),
            Name = name,
            Kind = Span.Types.SpanKind.Client,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
            EndTimeUnixNano = 1_700_000_001_500_000_000,
        };
        foreach (var (key, value) in attributes) span.Attributes.Add(new KeyValue { Key = key, Value = Value(value) });
        return span;
    }

    public static AnyValue Value(object value) => value switch
    {
        string s => new AnyValue { StringValue = s },
        bool b => new AnyValue { BoolValue = b },
        int i => new AnyValue { IntValue = i },
        long l => new AnyValue { IntValue = l },
        double d => new AnyValue { DoubleValue = d },
        string[] items => new AnyValue { ArrayValue = new ArrayValue { Values = { items.Select(i => new AnyValue { StringValue = i }) } } },
        AnyValue any => any,
        _ => throw new ArgumentException($"Unsupported attribute value {value.GetType()}"),
    };
}
