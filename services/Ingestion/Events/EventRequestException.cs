namespace HoneyHive.Ingestion.Events;

/// <summary>
/// A request the event API refuses, with the HTTP status and a detail that names the field and
/// says what to send instead (it becomes the problem details' <c>detail</c>).
/// </summary>
public sealed class EventRequestException(int status, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public static EventRequestException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);
}
