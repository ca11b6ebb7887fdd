using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Metrics;

namespace HoneyHive.Evaluation.Queues;

/// <summary>The spec's queue object (CreateAnnotationQueueResponseQueue and its siblings) and this API's item and score objects.</summary>
public static class QueueViews
{
    /// <summary>Every required key of the spec's queue object; <c>assignees</c> is ours.</summary>
    public static JsonObject Queue(StoredQueue queue) => new()
    {
        ["name"] = queue.Name,
        ["description"] = queue.Description,
        ["filters"] = new JsonObject { ["filterArray"] = queue.Filters.DeepClone() },
        ["enabled"] = queue.Enabled,
        ["id"] = queue.Id.ToString(),
        ["scope_id"] = queue.ProjectId.ToString(),
        ["scope_type"] = "project",
        ["is_active"] = queue.IsActive,
        ["created_at"] = MetricViews.Timestamp(queue.CreatedAt),
        ["updated_at"] = queue.UpdatedAt is { } updated ? MetricViews.Timestamp(updated) : null,
        ["assignees"] = new JsonArray([.. queue.Assignees.Select(a => (JsonNode)a.ToString())]),
    };

    public static JsonObject Score(AnnotationScore score) => new()
    {
        ["event_id"] = score.EventId,
        ["metric"] = score.Metric,
        ["annotator"] = score.Annotator,
        ["value"] = score.Value.DeepClone(),
        ["comment"] = score.Comment,
        ["updated_at"] = MetricViews.Timestamp(score.UpdatedAt),
    };

    /// <summary>An item: its event (null when the event was deleted since), status, assignee and every score given in the queue.</summary>
    public static JsonObject Item(QueueItem item, JsonObject? @event, IEnumerable<AnnotationScore> scores)
    {
        var list = new JsonArray([.. scores.Select(s => (JsonNode)Score(s))]);
        return new JsonObject
        {
            ["event_id"] = item.EventId,
            ["position"] = item.Position,
            ["source"] = item.Source,
            ["assignee"] = item.Assignee?.ToString(),
            ["status"] = list.Count > 0 ? "scored" : "pending",
            ["scores"] = list,
            ["event"] = @event,
        };
    }
}
