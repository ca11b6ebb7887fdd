using System.Globalization;
using System.Text.Json;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>Times as the API accepts them: ISO 8601 strings, or Unix milliseconds as a number or numeric string.</summary>
public static class TimeParsing
{
    public static DateTimeOffset? Parse(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDouble(out var ms) => FromMilliseconds(ms),
        JsonValueKind.String => Parse(value.GetString()),
        _ => null,
    };

    public static DateTimeOffset? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)) return FromMilliseconds(ms);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
    }

    private static DateTimeOffset? FromMilliseconds(double ms) =>
        double.IsFinite(ms) && Math.Abs(ms) < 253402300799999d
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(ms * TimeSpan.TicksPerMillisecond))
            : null;
}
