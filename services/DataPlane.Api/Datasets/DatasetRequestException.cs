namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>
/// A request the dataset routes refuse, answered as problem details: 400 keyed by the offending
/// <see cref="Field"/>, 404 for ids the caller's project does not hold (another project's ids
/// included, so their existence is not revealed), 413 for a body over the limit.
/// </summary>
public sealed class DatasetRequestException(int status, string field, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Field { get; } = field;

    public static DatasetRequestException Invalid(string field, string message) => new(StatusCodes.Status400BadRequest, field, message);

    public static DatasetRequestException NotFound(string field, string message) => new(StatusCodes.Status404NotFound, field, message);
}
