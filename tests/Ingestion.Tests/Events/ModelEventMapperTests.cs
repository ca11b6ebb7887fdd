using System.Text.Json.Nodes;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using static HoneyHive.Ingestion.Tests.Events.EventNormalizerTests;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Tests.Events;

[Trait("Servers", "None")]
public sealed class ModelEventMapperTests
{
    [Fact]
    public void Every_model_field_lands_in_its_bucket()
    {
        using var mapped = ModelEventMapper.ToEventDocument(Json("""
            {
              "project": "p", "model": "gpt-4o", "model_version": "2024-08-06", "provider": "openai",
              "messages": [{"role": "system", "content": "Be {{tone}}"}, {"role": "user", "content": "hi"}],
              "response": {"role": "assistant", "content": "hello"},
              "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cached_tokens": 2},
              "cost": 0.0004, "hyperparameters": {"temperature": 0.2}, "template": [{"role": "system", "content": "Be {{tone}}"}],
              "template_inputs": {"tone": "terse"}, "tools": [{"type": "function", "function": {"name": "f"}}],
              "tool_choice": "auto", "response_format": {"type": "json_object"}, "duration": 850, "error": "rate limited",
              "event_name": "chat", "source": "sdk", "metadata": {"cost": 1}
            }
            """), "model_event");
        using var normalized = Normalizer().Event(mapped.RootElement, TestTenant, new EventReadOptions(false), "model_event");
        var record = Published(normalized);

        Assert.Equal("model", record.EventType);
        Assert.Equal("chat", record.EventName);
        Assert.Equal("gpt-4o", record.Config["model"]!.GetValue<string>());
        Assert.Equal("2024-08-06", record.Config["version"]!.GetValue<string>());
        Assert.Equal("openai", record.Config["provider"]!.GetValue<string>());
        Assert.Equal("chat", record.Config["type"]!.GetValue<string>());
        Assert.Equal(0.2, record.Config["hyperparameters"]!["temperature"]!.GetValue<double>());
        Assert.Equal("Be {{tone}}", record.Config["template"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("f", record.Config["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("auto", record.Config["tool_choice"]!.GetValue<string>());
        Assert.Equal("json_object", record.Config["response_format"]!["type"]!.GetValue<string>());
        Assert.Equal("hi", record.Inputs["chat_history"]![1]!["content"]!.GetValue<string>());
        Assert.Equal("terse", record.Inputs["tone"]!.GetValue<string>());
        Assert.Equal("assistant", record.Outputs["role"]!.GetValue<string>());
        Assert.Equal("hello", record.Outputs["content"]!.GetValue<string>());
        Assert.Equal(10, record.Metadata["prompt_tokens"]!.GetValue<double>());
        Assert.Equal(5, record.Metadata["completion_tokens"]!.GetValue<double>());
        Assert.Equal(15, record.Metadata["total_tokens"]!.GetValue<double>());
        Assert.Equal(2, record.Metadata["usage"]!["cached_tokens"]!.GetValue<int>());
        Assert.Equal(1, record.Metadata["cost"]!.GetValue<int>()); // the explicit bucket value wins
        Assert.Equal(850, record.Duration);
        Assert.Equal("rate limited", record.Error);
        Assert.Equal("p", record.Metadata["project_name"]!.GetValue<string>());
        Assert.Equal(TestTenant.ProjectId, record.ProjectId);
    }

    [Fact]
    public void Total_tokens_are_summed_and_a_text_response_becomes_assistant_content()
    {
        // The rewritten event as JSON, the form the normalizer reads.
        var mapped = JsonNode.Parse(EventJson.ToJsonString(ModelEventMapper.ToEvent(Json("""{"usage":{"input_tokens":4,"output_tokens":6},"response":"plain","cost":0.5}"""), "")))!;

        Assert.Equal(10, mapped["metadata"]!["total_tokens"]!.GetValue<double>());
        Assert.Equal(0.5, mapped["metadata"]!["cost"]!.GetValue<double>());
        Assert.Equal("plain", mapped["outputs"]!["content"]!.GetValue<string>());
        Assert.Equal("assistant", mapped["outputs"]!["role"]!.GetValue<string>());
        Assert.Equal("model", mapped["event_type"]!.GetValue<string>());
    }

    [Fact]
    public void A_usage_that_is_not_an_object_is_refused()
    {
        var refused = Assert.Throws<ApiRequestException>(() => ModelEventMapper.ToEvent(Json("""{"usage":12}"""), "model_event"));

        Assert.Contains("'model_event.usage' must be an object", refused.Message, StringComparison.Ordinal);
    }
}
