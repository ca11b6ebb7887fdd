using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;

namespace HoneyHive.Evaluation.Tests.Online;

public sealed class MetricFilterTests
{
    private static readonly JsonObject Event = JsonNode.Parse("""
        {
          "event_id": "e1", "event_type": "model", "event_name": "Answer Question", "source": "otlp",
          "start_time": 1700000000000, "duration": 250, "error": null,
          "inputs": { "question": "What is the capital of France?", "chat": [ { "role": "user", "content": "hi" } ] },
          "outputs": { "content": "Paris" },
          "config": { "model": "gpt-4o", "temperature": 0.2 },
          "metadata": { "model": "gpt-4o-mini", "tokens": 1200, "cached": true, "released": "2024-05-01T00:00:00Z", "gen_ai.system": "openai", "empty": "" },
          "feedback": {}, "metrics": {}, "user_properties": {}
        }
        """)!.AsObject();

    [Theory]
    // exists / not exists on top-level fields, bucket keys, nested paths, dotted attribute names and empty strings
    [InlineData("event_type", "exists", null, "string", true)]
    [InlineData("metadata.model", "exists", null, "string", true)]
    [InlineData("metadata.nothing", "exists", null, "string", false)]
    [InlineData("metadata.empty", "exists", null, "string", false)]
    [InlineData("metadata.gen_ai.system", "exists", null, "string", true)]
    [InlineData("inputs.chat.0.role", "exists", null, "string", true)]
    [InlineData("metadata.nothing", "not exists", null, "string", true)]
    [InlineData("event_name", "not exists", null, "string", false)]
    // string
    [InlineData("event_type", "is", "model", "string", true)]
    [InlineData("event_type", "is", "tool", "string", false)]
    [InlineData("event_name", "is", "answer question", "string", false)]
    [InlineData("event_type", "is not", "tool", "string", true)]
    [InlineData("event_type", "is not", "model", "string", false)]
    [InlineData("metadata.nothing", "is not", "x", "string", true)]
    [InlineData("inputs.question", "contains", "CAPITAL", "string", true)]
    [InlineData("inputs.question", "contains", "Berlin", "string", false)]
    [InlineData("config.model", "not contains", "claude", "string", true)]
    [InlineData("config.model", "not contains", "gpt", "string", false)]
    [InlineData("metadata.nothing", "not contains", "gpt", "string", true)]
    [InlineData("metadata.gen_ai.system", "is", "openai", "string", true)]
    [InlineData("inputs.chat.0.content", "is", "hi", "string", true)]
    // number (values may come as numbers or numeric text)
    [InlineData("metadata.tokens", "is", 1200, "number", true)]
    [InlineData("metadata.tokens", "is", "1200", "number", true)]
    [InlineData("metadata.tokens", "is not", 1200, "number", false)]
    [InlineData("metadata.tokens", "is not", 5, "number", true)]
    [InlineData("metadata.tokens", "greater than", 1000, "number", true)]
    [InlineData("metadata.tokens", "greater than", 1200, "number", false)]
    [InlineData("duration", "less than", 300, "number", true)]
    [InlineData("duration", "less than", 250, "number", false)]
    [InlineData("config.temperature", "less than", 0.5, "number", true)]
    [InlineData("metadata.nothing", "greater than", 0, "number", false)]
    [InlineData("metadata.nothing", "less than", 0, "number", false)]
    // boolean (true or "true")
    [InlineData("metadata.cached", "is", true, "boolean", true)]
    [InlineData("metadata.cached", "is", "true", "boolean", true)]
    [InlineData("metadata.cached", "is", false, "boolean", false)]
    [InlineData("metadata.cached", "is not", false, "boolean", true)]
    [InlineData("metadata.cached", "is not", true, "boolean", false)]
    // datetime: ISO 8601 or Unix milliseconds, on ISO text and on the event's own millisecond times
    [InlineData("metadata.released", "after", "2024-01-01T00:00:00Z", "datetime", true)]
    [InlineData("metadata.released", "after", "2025-01-01T00:00:00Z", "datetime", false)]
    [InlineData("metadata.released", "before", "2025-01-01T00:00:00Z", "datetime", true)]
    [InlineData("metadata.released", "before", "2024-01-01T00:00:00Z", "datetime", false)]
    [InlineData("metadata.released", "is", "2024-05-01T00:00:00Z", "datetime", true)]
    [InlineData("metadata.released", "is not", "2024-05-01T00:00:00Z", "datetime", false)]
    [InlineData("start_time", "after", "2023-11-14T00:00:00Z", "datetime", true)]
    [InlineData("start_time", "before", 1699999999999, "datetime", false)]
    [InlineData("start_time", "greater than", "2023-11-15T00:00:00Z", "datetime", false)]
    [InlineData("start_time", "less than", "2023-11-15T00:00:00Z", "datetime", true)]
    [InlineData("metadata.nothing", "after", "2000-01-01T00:00:00Z", "datetime", false)]
    public void Each_operator_and_type_decides_as_the_event_search_does(string field, string op, object? value, string type, bool expected)
    {
        var filter = new JsonObject { ["field"] = field, ["operator"] = op, ["value"] = value is null ? null : JsonValue.Create(value), ["type"] = type };
        Assert.Equal(expected, EventFilterMatcher.Holds(filter, Event));
    }

    [Fact]
    public void Every_filter_must_hold_and_no_filters_match_everything()
    {
        var both = JsonNode.Parse("""{"filterArray":[{"field":"event_type","operator":"is","value":"model","type":"string"},{"field":"metadata.tokens","operator":"greater than","value":100,"type":"number"}]}""");
        var one = JsonNode.Parse("""{"filterArray":[{"field":"event_type","operator":"is","value":"model","type":"string"},{"field":"metadata.tokens","operator":"less than","value":100,"type":"number"}]}""");
        Assert.True(EventFilterMatcher.Matches(both, Event));
        Assert.False(EventFilterMatcher.Matches(one, Event));
        Assert.True(EventFilterMatcher.Matches(JsonNode.Parse("""{"filterArray":[]}"""), Event));
        Assert.True(EventFilterMatcher.Matches(null, Event));
    }
}
