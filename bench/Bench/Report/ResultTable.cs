using System.Globalization;

namespace HoneyHive.Bench.Report;

/// <summary>Prints measurements as an aligned plain-text table.</summary>
public static class ResultTable
{
    public static void Write(TextWriter writer, IReadOnlyList<Measurement> rows)
    {
        var cells = rows.Select(r => (r.Name, r.Unit, Value: Format(r.Value), Note: r.Note ?? "")).ToList();
        var nameWidth = Math.Max("name".Length, cells.Count == 0 ? 0 : cells.Max(c => c.Name.Length));
        var unitWidth = Math.Max("unit".Length, cells.Count == 0 ? 0 : cells.Max(c => c.Unit.Length));
        var valueWidth = Math.Max("value".Length, cells.Count == 0 ? 0 : cells.Max(c => c.Value.Length));

        writer.WriteLine($"{"name".PadRight(nameWidth)}  {"unit".PadRight(unitWidth)}  {"value".PadLeft(valueWidth)}  note");
        writer.WriteLine($"{new string('-', nameWidth)}  {new string('-', unitWidth)}  {new string('-', valueWidth)}  ----");
        foreach (var c in cells)
        {
            writer.WriteLine($"{c.Name.PadRight(nameWidth)}  {c.Unit.PadRight(unitWidth)}  {c.Value.PadLeft(valueWidth)}  {c.Note}".TrimEnd());
        }
    }

    public static string Format(double value) =>
        Math.Abs(value) >= 1000
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("0.0", CultureInfo.InvariantCulture);
}
