using System.Text.Json.Nodes;

namespace HoneyHive.DataPlane.Api.Runs;

/// <summary>
/// GET /v1/runs/{id}/schema and /v1/runs/schema (spec GetEventsSchemaResponse): the fields filters
/// may name in run events, per event type; the dataset ids the runs used; and <c>mappings</c>, per
/// field name the event types that carry it.
/// </summary>
public static class RunSchema
{
    public static async Task<JsonObject> ForRunAsync(
        Guid project, Run run, RunEvents events, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var fields = await events.RunFieldsAsync(project, run, from, to, cancellationToken);
        var datasets = (await events.DatasetIdsAsync(project, run, from, to, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        if (run.DatasetId is not null) datasets.Add(run.DatasetId);
        return Response(fields, datasets);
    }

    public static async Task<JsonObject> ForProjectAsync(
        Guid project, RunStore runs, RunEvents events, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var fields = await events.ProjectFieldsAsync(project, from, to, cancellationToken);
        var datasets = (await events.DatasetIdsAsync(project, null, from, to, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        datasets.UnionWith(await runs.DatasetIdsAsync(project, cancellationToken));
        return Response(fields, datasets);
    }

    private static JsonObject Response(IReadOnlyList<RunSchemaField> fields, IEnumerable<string> datasets)
    {
        var mappings = new JsonObject();
        foreach (var group in fields.GroupBy(f => f.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            mappings[group.Key] = new JsonArray([.. group.Select(f => (JsonNode?)new JsonObject { ["field_name"] = f.Name, ["event_type"] = f.EventType })]);
        return new JsonObject
        {
            ["fields"] = new JsonArray([.. fields.Select(f => (JsonNode?)new JsonObject { ["name"] = f.Name, ["event_type"] = f.EventType })]),
            ["datasets"] = RunSummary.Strings(datasets),
            ["mappings"] = mappings,
        };
    }
}
