using HoneyHive.Bench.Report;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// One ceiling measurement of a building block in isolation (no service in between), so the
/// end-to-end numbers can be read against what the parts can do at most on this machine.
/// </summary>
public interface ILimit
{
    /// <summary>Short name printed while the limit runs.</summary>
    string Name { get; }

    /// <summary>Environment variables the measurement needs (checked before anything runs).</summary>
    IReadOnlyList<string> RequiredEnvironment { get; }

    Task<IReadOnlyList<Measurement>> MeasureAsync(CancellationToken ct);
}
