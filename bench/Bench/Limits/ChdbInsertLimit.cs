using HoneyHive.Bench.Report;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Bench.Limits;

/// <summary>
/// chDB insert ceiling through the Platform's own store (the path the Writer uses): ~1 KB wide
/// event rows, JSONEachRow against RowBinaryWithNamesAndTypes (typed columns computed by ClickHouse in both),
/// into a copy of <c>events</c> and into <c>events</c>
/// itself with its materialized views, in a throw-away data folder.
/// </summary>
public sealed class ChdbInsertLimit : ILimit
{
    public const string InsertNamePrefix = "chdb.insert.";

    public string Name => "chdb insert";

    /// <summary>
    /// The best rows/s of a fresh measurement: over every format and table, or only into <c>events</c> with
    /// its materialized views (the Writer's own path).
    /// </summary>
    public static async Task<double> RowsPerSecondAsync(bool withViewsOnly, CancellationToken ct) =>
        (await new ChdbInsertLimit().MeasureAsync(ct))
        .Where(m => m.Unit == "rows/s" && (!withViewsOnly || m.Name.EndsWith(".with_views", StringComparison.Ordinal)))
        .Select(m => m.Value).DefaultIfEmpty(0).Max();

    public IReadOnlyList<string> RequiredEnvironment => [BenchEnvironment.ChdbLibraryVariable, BenchEnvironment.DataDirectoryVariable];

    public async Task<IReadOnlyList<Measurement>> MeasureAsync(CancellationToken ct)
    {
        var dataPath = Path.Combine(BenchEnvironment.DataDirectory, "chdb-limits-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            IReadOnlyList<ChdbInsertFigures> figures;
            using (var store = new ChdbAnalyticsStore(
                       new ChdbOptions { LibraryPath = BenchEnvironment.ChdbLibrary, DataPath = dataPath },
                       NullLogger<ChdbAnalyticsStore>.Instance))
            {
                figures = await ChdbInsertRunner.RunAsync(store, rowsPerBatch: 20_000, batches: 4, throughMaterializedViews: true, ct);
            }
            return figures.SelectMany(f =>
            {
                var name = InsertNamePrefix + f.Format + (f.Target.StartsWith("events (", StringComparison.Ordinal) ? ".with_views" : "");
                var note = $"{f.Rows:N0} rows, {f.BytesPerRow:0} B/row, {f.BatchesWithEmptyLine} batches spooled through a file";
                return new[] { new Measurement(name, "rows/s", f.RowsPerSecond, note), new Measurement(name, "MB/s", f.MegabytesPerSecond) };
            }).ToList();
        }
        finally
        {
            if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        }
    }
}
