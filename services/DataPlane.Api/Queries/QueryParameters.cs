namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Collects ClickHouse query parameters. Every user value becomes a numbered <c>{pN:Type}</c>
/// placeholder; the type strings come from this code, never from a request.
/// </summary>
public sealed class QueryParameters
{
    private readonly Dictionary<string, object?> values = new(StringComparer.Ordinal);

    public QueryParameters(Guid project) => values["project"] = project.ToString();

    /// <summary>The caller's project: every statement filters on it.</summary>
    public const string Project = "{project:String}";

    public IReadOnlyDictionary<string, object?> Values => values;

    public string String(string value) => Add(value, "String");

    public string Float(double value) => Add(value, "Float64");

    public string Int(long value) => Add(value, "Int64");

    public string Strings(IReadOnlyCollection<string> value) => Add(value.ToArray(), "Array(String)");

    /// <summary>A moment as microseconds since the epoch, turned back into a DateTime64 in SQL.</summary>
    public string Time(DateTimeOffset value) =>
        $"fromUnixTimestamp64Micro({Int((value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10)}, 'UTC')";

    private string Add(object? value, string type)
    {
        var name = "p" + (values.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        values[name] = value;
        return "{" + name + ":" + type + "}";
    }
}
