using System.Text.RegularExpressions;

namespace HoneyHive.Platform.Analytics;

/// <summary>
/// Checks for the few names that must appear in SQL text (tables, formats, parameter names):
/// they come from code, never from users, and are rejected rather than quoted when odd.
/// </summary>
internal static partial class AnalyticsNames
{
    public static string Table(string table) =>
        TablePattern().IsMatch(table) ? table : throw new ArgumentException($"'{table}' is not a plain table name.", nameof(table));

    public static string Format(string format) =>
        FormatPattern().IsMatch(format) ? format : throw new ArgumentException($"'{format}' is not a ClickHouse format name.", nameof(format));

    public static string Parameter(string name) =>
        ParameterPattern().IsMatch(name) ? name : throw new ArgumentException($"'{name}' is not a valid query parameter name.", nameof(name));

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex TablePattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex FormatPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterPattern();
}
