using System.Globalization;

namespace HoneyHive.Bench.Chaos;

/// <summary>One fault's outcome: what was sent, acknowledged and stored, and what recovery cost.</summary>
public sealed record ChaosRow(
    string Fault,
    string What,
    long Sent,
    long Acknowledged,
    long StoredUnique,
    long RowsReturned,
    long Duplicates,
    long DeadLettered,
    long Replayed,
    long Lost,
    long GaveUp,
    long Throttled,
    double DrainSeconds,
    double PeakRssMb,
    double CpuCores,
    string Durability,
    string Note)
{
    private static readonly string[] Header =
        ["fault", "sent", "acked", "stored", "dup", "dead-lettered", "replayed", "lost", "gave up", "429s", "drain s", "peak MB", "cpu", "note"];

    private string[] Cells() =>
    [
        Fault, N(Sent), N(Acknowledged), N(StoredUnique), N(Duplicates), N(DeadLettered), N(Replayed), N(Lost), N(GaveUp), N(Throttled),
        DrainSeconds.ToString("0.0", CultureInfo.InvariantCulture), PeakRssMb.ToString("0", CultureInfo.InvariantCulture),
        CpuCores.ToString("0.00", CultureInfo.InvariantCulture), Note,
    ];

    public static void WriteTable(TextWriter writer, IReadOnlyList<ChaosRow> rows)
    {
        var cells = rows.Select(r => r.Cells()).ToList();
        var widths = Header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        string Line(string[] row) => string.Join("  ", row.Select((c, i) => i is 0 || i == row.Length - 1 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        writer.WriteLine(Line(Header));
        writer.WriteLine(Line(widths.Select(w => new string('-', w)).ToArray()));
        foreach (var row in cells) writer.WriteLine(Line(row));
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
