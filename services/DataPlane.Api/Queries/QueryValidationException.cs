namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>A request the query layer refuses; answered as a 400 validation problem keyed by <see cref="Field"/>.</summary>
public sealed class QueryValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;

    public IDictionary<string, string[]> Errors => new Dictionary<string, string[]> { [Field] = [Message] };
}
