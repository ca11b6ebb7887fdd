using System.Globalization;

namespace HoneyHive.Bench.Chaos;

/// <summary>One fault's outcome: what was sent, acknowledged and stored, and what recovery cost.</summary>
/// <param name="Duplicates">Rows inserted more than once: copies still in <c>events</c> without FINAL, or the
/// <c>project_event_details</c> view's count beyond the distinct revisions (which merges never hide).</param>
/// <param name="ViewMismatch">Sessions whose prompt tokens in <c>session_aggregates</c> exceed what was sent for them.</param>
/// <param name="Failed">Why the fault could not run or be checked (a failed row fails the command), or null.</param>
public sealed record ChaosRow(
    string Fault,
    string What,
    long Sent,
    long Acknowledged,
    long StoredUnique,
    long RowsReturned,
    long Duplicates,
    long ViewMismatch,
    long DeadLettered,
    long Replayed,
    long Lost,
    long GaveUp,
    long Throttled,
    double DrainSeconds,
    double PeakRssMb,
    double CpuCores,
    string Durability,
    string Note,
    string? Failed = null)
{
    private static readonly string[] Header =
        ["fault", "result", "sent", "acked", "stored", "dup", "view>sent", "dead-lettered", "replayed", "lost", "gave up", "429s", "drain s", "peak MB", "cpu", "note"];

    public static ChaosRow FailedRow(ChaosFault fault, string why) =>
        new(fault.Name, fault.What, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", why, why);

    private string[] Cells() =>
    [
        Fault, Failed is null ? "ok" : "FAILED", N(Sent), N(Acknowledged), N(StoredUnique), N(Duplicates), N(ViewMismatch), N(DeadLettered), N(Replayed), N(Lost), N(GaveUp), N(Throttled),
        DrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), PeakRssMb.ToString("0", CultureInfo.InvariantCulture),
        CpuCores.ToString("0.00", CultureInfo.InvariantCulture), Note,
    ];

    public static void WriteTable(TextWriter writer, IReadOnlyList<ChaosRow> rows)
    {
        var cells = rows.Select(r => r.Cells()).ToList();
        var widths = Header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        string Line(string[] row) => string.Join("  ", row.Select((c, i) => i is 0 or 1 || i == row.Length - 1 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        writer.WriteLine(Line(Header));
        writer.WriteLine(Line(widths.Select(w => new string('-', w)).ToArray()));
        foreach (var row in cells) writer.WriteLine(Line(row));
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
