namespace HoneyHive.Ingestion.Normalization;

/// <summary>Size limits on what one request may carry (configuration section <c>Ingestion:Limits</c>).</summary>
public sealed class IngestLimits
{
    /// <summary>Largest request body after decompression.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Spans (or events) per request; beyond it the rest are rejected in partial_success.</summary>
    public int MaxSpansPerRequest { get; set; } = 10_000;

    /// <summary>Attributes kept per span; the rest are dropped and counted on the event.</summary>
    public int MaxAttributesPerSpan { get; set; } = 1_000;

    /// <summary>Longest attribute value (UTF-16 chars) before it is truncated and flagged.</summary>
    public int MaxValueLength { get; set; } = 1024 * 1024;

    /// <summary>Longest attribute key; longer keys are truncated and flagged.</summary>
    public int MaxKeyLength { get; set; } = 256;

    /// <summary>Deepest nesting of arrays and maps in a value; deeper parts become JSON text.</summary>
    public int MaxDepth { get; set; } = 16;
}
