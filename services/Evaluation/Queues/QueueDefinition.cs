using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Queries;
using static HoneyHive.DataPlane.Api.Infrastructure.JsonBody;

namespace HoneyHive.Evaluation.Queues;

/// <summary>
/// What a create or update body asks for, checked. Null members were not sent (an update leaves them as they are).
/// <paramref name="Filters"/> is the spec's filterArray.
/// </summary>
public sealed record QueueInput(
    string? Name,
    string? Description,
    JsonArray? Filters,
    bool? Enabled,
    IReadOnlyList<Guid>? Assignees,
    IReadOnlyList<string> AddEventIds,
    IReadOnlyList<string> RemoveEventIds);

/// <summary>
/// The spec's CreateAnnotationQueueRequest and UpdateAnnotationQueueRequest, field by field (every error names its
/// field), plus <c>assignees</c>, which the spec does not have.
/// </summary>
public static partial class QueueDefinition
{
    public const int MaxName = 200;
    public const int MaxDescription = 1000;
    public const int MaxFilters = 100;
    public const int MaxAssignees = 100;

    /// <summary>Event ids one request may add or remove; a queue holds at most <see cref="QueueLimits.MaxItems"/>.</summary>
    public const int MaxEventIdsPerRequest = 1000;

    public const int MaxEventIdLength = 256;

    private static readonly string[] Operators = ["exists", "not exists", "is", "is not", "contains", "not contains", "greater than", "less than", "after", "before"];
    private static readonly string[] Types = ["string", "number", "boolean", "datetime"];
    private static readonly HashSet<string> FiltersFields = new(StringComparer.Ordinal) { "filterArray" };
    private static readonly HashSet<string> FilterFields = new(StringComparer.Ordinal) { "field", "operator", "value", "type" };

    public static QueueInput Create(JsonObject body, FieldErrors errors)
    {
        var name = String(body, "name", "name", errors, required: true, MaxName, nonBlank: true);
        var description = String(body, "description", "description", errors, maxLength: MaxDescription) ?? "";
        var filters = Filters(body, errors, required: false) ?? [];
        var enabled = Bool(body, "enabled", "enabled", errors) ?? true;
        var assignees = Assignees(body, errors) ?? [];
        var ids = EventIds(body, "event_ids", errors) ?? [];
        return new QueueInput(name, description, filters, enabled, assignees, ids, []);
    }

    /// <summary>The update body; its required <c>id</c> must be the queue of the path.</summary>
    public static QueueInput Update(JsonObject body, string pathId, FieldErrors errors)
    {
        var id = String(body, "id", "id", errors, required: true, nonBlank: true);
        if (id is { Length: > 0 } && !string.Equals(id, pathId, StringComparison.OrdinalIgnoreCase))
            errors.Add("id", "Must be the queue id of the path.");
        var name = String(body, "name", "name", errors, maxLength: MaxName, nonBlank: true);
        var description = String(body, "description", "description", errors, maxLength: MaxDescription);
        var filters = Filters(body, errors, required: true);
        var enabled = Bool(body, "enabled", "enabled", errors);
        var assignees = Assignees(body, errors);
        var add = EventIds(body, "add_event_ids", errors) ?? [];
        var remove = EventIds(body, "remove_event_ids", errors) ?? [];
        return new QueueInput(name, description, filters, enabled, assignees, add, remove);
    }

    /// <summary><c>filters: {filterArray: [...]}</c>: each filter the events search's (field, operator, value, type).</summary>
    private static JsonArray? Filters(JsonObject body, FieldErrors errors, bool required)
    {
        var filters = Object(body, "filters", "filters", errors);
        if (filters is null) return null;
        RejectUnknown(filters, FiltersFields, errors, "filters.");
        // The create schema defaults filterArray; the update schema requires it once filters is sent.
        var array = Array(filters, "filterArray", "filters.filterArray", errors, maxItems: MaxFilters);
        if (array is null)
        {
            if (required && filters["filterArray"] is null) errors.Add("filters.filterArray", "Required.");
            return [];
        }

        var result = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"filters.filterArray[{i}]";
            if (array[i] is not JsonObject item)
            {
                errors.Add(path, "Must be an object with field, operator, value and type.");
                continue;
            }
            RejectUnknown(item, FilterFields, errors, path + ".");
            var field = String(item, "field", path + ".field", errors, required: true, maxLength: EventField.MaxLength, nonBlank: true);
            if (field is { Length: > 0 } && !IsEventField(field))
                errors.Add(path + ".field", "Must be an event column (" + string.Join(", ", EventField.Columns.Keys) + ") or a bucket path such as metadata.model.");
            var op = OneOf(item, "operator", path + ".operator", Operators, errors, required: true);
            var type = OneOf(item, "type", path + ".type", Types, errors, required: true);
            if (!item.ContainsKey("value")) errors.Add(path + ".value", "Required.");
            var value = item["value"];
            if (Kind(value) is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                errors.Add(path + ".value", "Must be a string, number, boolean or null.");
            result.Add(new JsonObject { ["field"] = field, ["operator"] = op, ["value"] = value?.DeepClone(), ["type"] = type });
        }
        return result;
    }

    private static bool IsEventField(string field)
    {
        if (!FieldShape().IsMatch(field)) return false;
        var segments = field.Split('.');
        if (segments.Length > EventField.MaxDepth + 1) return false;
        return segments.Length == 1 ? EventField.Columns.ContainsKey(field) : EventField.Buckets.Contains(segments[0]);
    }

    /// <summary>The filters as the event search compiles them (the shape was checked by <see cref="Create"/>/<see cref="Update"/>).</summary>
    public static IReadOnlyList<EventFilter> ToEventFilters(JsonArray filters) =>
        [.. filters.OfType<JsonObject>().Select(f => new EventFilter(
            f["field"]?.GetValue<string>(), f["operator"]?.GetValue<string>(),
            f["value"] is { } value ? JsonSerializer.SerializeToElement(value) : JsonSerializer.SerializeToElement<object?>(null),
            f["type"]?.GetValue<string>()))];

    private static List<Guid>? Assignees(JsonObject body, FieldErrors errors)
    {
        var array = Array(body, "assignees", "assignees", errors, maxItems: MaxAssignees);
        if (array is null) return null;
        var result = new List<Guid>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (Kind(array[i]) == JsonValueKind.String && Guid.TryParse(array[i]!.GetValue<string>(), out var id))
            {
                if (!result.Contains(id)) result.Add(id);
            }
            else errors.Add($"assignees[{i}]", "Must be a user id (a UUID).");
        }
        return result;
    }

    private static List<string>? EventIds(JsonObject body, string key, FieldErrors errors)
    {
        var array = Array(body, key, key, errors, maxItems: MaxEventIdsPerRequest);
        if (array is null) return null;
        var result = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (Kind(array[i]) == JsonValueKind.String && array[i]!.GetValue<string>() is { Length: > 0 and <= MaxEventIdLength } id && !id.Contains('\0', StringComparison.Ordinal))
            {
                if (!result.Contains(id, StringComparer.Ordinal)) result.Add(id);
            }
            else errors.Add($"{key}[{i}]", $"Must be an event id (a non-empty string of at most {MaxEventIdLength} characters).");
        }
        return result;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldShape();
}
