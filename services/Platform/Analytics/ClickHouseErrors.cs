using System.Globalization;
using System.Text.RegularExpressions;

namespace HoneyHive.Platform.Analytics;

/// <summary>Reads the numeric code out of ClickHouse's error text (<c>Code: 62. DB::Exception: ...</c>).</summary>
public static partial class ClickHouseErrors
{
    /// <summary>The first <c>Code: N.</c> in the text, or null when there is none.</summary>
    public static int? ParseCode(string? message)
    {
        if (string.IsNullOrEmpty(message)) return null;
        var match = CodePattern().Match(message);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? code
            : null;
    }

    [GeneratedRegex(@"Code:\s*(\d+)\.", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();
}
