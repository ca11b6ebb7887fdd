namespace HoneyHive.Bench.Report;

/// <summary>One measured rate, e.g. ("jetstream.publish.1KB", "msgs/s", 40800).</summary>
public sealed record Measurement(string Name, string Unit, double Value, string? Note = null);
