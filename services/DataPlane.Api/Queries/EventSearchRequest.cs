using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// Body of <c>POST /v1/events/search</c> (data-plane spec) and of the export routes (legacy spec,
/// <c>dateRange</c> as <c>{$gte, $lte}</c>). <c>projections</c>, <c>sort</c> and <c>cursor</c>
/// extend the spec; <c>project</c> is accepted and ignored (the key decides the project).
/// </summary>
public sealed record EventSearchRequest
{
    [JsonPropertyName("filters")] public List<EventFilter>? Filters { get; init; }
    [JsonPropertyName("dateRange")] public JsonElement DateRange { get; init; }
    [JsonPropertyName("projections")] public List<string>? Projections { get; init; }
    [JsonPropertyName("sort")] public SortRequest? Sort { get; init; }
    [JsonPropertyName("limit")] public double? Limit { get; init; }
    [JsonPropertyName("page")] public double? Page { get; init; }
    [JsonPropertyName("cursor")] public string? Cursor { get; init; }
    [JsonPropertyName("evaluation_id")] public string? EvaluationId { get; init; }
    [JsonPropertyName("ignore_order")] public bool? IgnoreOrder { get; init; }
    [JsonPropertyName("project")] public string? Project { get; init; }
}

/// <summary>A validated search: everything a page query needs, user text only as values.</summary>
public sealed record EventSearch(
    EventScope Scope,
    IReadOnlyList<EventFilter> Filters,
    Projection? Projection,
    EventSort Sort,
    Cursor? After,
    int Limit,
    int Offset)
{
    public const int DefaultLimit = 1000;

    /// <param name="defaultFrom">
    /// Where the range starts when the request names neither a dateRange nor an evaluation_id (a run's events are
    /// bounded by the run); null reads the whole range. The event routes pass the last 7 days.
    /// </param>
    public static EventSearch From(EventSearchRequest request, int maxLimit, DateTimeOffset? defaultFrom = null)
    {
        var limit = request.Limit is { } l ? (int)Math.Clamp(Math.Floor(l), 0, int.MaxValue) : DefaultLimit;
        if (request.Limit is not null && (limit < 1 || limit > maxLimit))
            throw ApiRequestException.BadRequest("limit", $"limit is between 1 and {maxLimit}.");
        var page = request.Page is { } p ? (int)Math.Clamp(Math.Floor(p), 0, int.MaxValue) : 1;
        if (page < 1) throw ApiRequestException.BadRequest("page", "page starts at 1.");
        if (request.Cursor is not null && request.Page is not null and not 1)
            throw ApiRequestException.BadRequest("cursor", "Send either cursor or page, not both.");

        var sort = EventSort.From(request.Sort);
        var after = request.Cursor is { Length: > 0 } cursor ? sort.Parse(cursor) : null;
        var filters = new List<EventFilter>(request.Filters ?? []);
        // A run (evaluation) is the set of events whose metadata.run_id names it.
        if (!string.IsNullOrEmpty(request.EvaluationId))
            filters.Add(new EventFilter("metadata.run_id", "is", JsonSerializer.SerializeToElement(request.EvaluationId), "string"));
        var (from, to) = ParseDateRange(request.DateRange);
        if (request.DateRange.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null && string.IsNullOrEmpty(request.EvaluationId))
            from = defaultFrom;
        var offset = (long)(page - 1) * limit;
        if (offset > int.MaxValue) throw ApiRequestException.BadRequest("page", "page is too large; use the cursor.");
        return new EventSearch(new EventScope { From = from, To = to }, filters, Projection.From(request.Projections), sort, after, limit, (int)offset);
    }

    /// <summary>
    /// <c>{start_time, end_time}</c> (data-plane spec), <c>{$gte, $lte}</c> (legacy), either as an
    /// object or as its JSON text (query strings); ISO 8601 or Unix milliseconds; bounds inclusive.
    /// </summary>
    public static (DateTimeOffset? From, DateTimeOffset? To) ParseDateRange(JsonElement range)
    {
        if (range.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return (null, null);
        if (range.ValueKind == JsonValueKind.String)
        {
            var text = range.GetString()!;
            if (text.TrimStart().StartsWith('{'))
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    return ParseDateRange(document.RootElement.Clone());
                }
                catch (JsonException)
                {
                    throw ApiRequestException.BadRequest("dateRange", "dateRange is not valid JSON.");
                }
            }

            // A single time: from then on.
            return (TimeParsing.Parse(text) ?? throw ApiRequestException.BadRequest("dateRange", "dateRange is not a time."), null);
        }

        if (range.ValueKind != JsonValueKind.Object)
            throw ApiRequestException.BadRequest("dateRange", "dateRange is {start_time, end_time} or {$gte, $lte}.");
        return (Bound(range, "start_time", "$gte"), Bound(range, "end_time", "$lte"));
    }

    private static DateTimeOffset? Bound(JsonElement range, string name, string legacy)
    {
        if (!range.TryGetProperty(name, out var value) && !range.TryGetProperty(legacy, out value)) return null;
        if (value.ValueKind == JsonValueKind.Null) return null;
        return TimeParsing.Parse(value)
            ?? throw ApiRequestException.BadRequest("dateRange." + name, $"{name} must be an ISO 8601 time or Unix milliseconds.");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"limit {Limit} offset {Offset}");
}
