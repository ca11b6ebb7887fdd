using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using static HoneyHive.Ingestion.Tests.Events.EventNormalizerTests;

namespace HoneyHive.Ingestion.Tests.Events;

/// <summary>
/// The event API writes its events straight into the published JSON. The Writer reads that JSON as
/// the serialized <see cref="EventRecord"/> the event API published before (EventRowReader keeps each
/// bucket value's text as it is), so the JSON must be the same, byte for byte: these compare it with an
/// EventRecord built by hand with the values the earlier path produced, serialized as it was.
/// </summary>
[Trait("Servers", "None")]
public sealed class PublishedEventJsonTests
{
    private static string Id(string clientId) => EventIds.Normalize(clientId, TestTenant.ProjectId);

    private static JsonObject Object(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void A_legacy_event_with_every_bucket_an_unknown_field_and_truncated_values_publishes_the_event_record_json()
    {
        var limits = new IngestLimits { MaxValueLength = 10, MaxDepth = 3 };
        using var outcome = EventRequests.CreateEventLegacy(Json("""
            {"event":{"event_type":"chain","event_name":"pipeline","source":"sdk","project":"p","session_id":"s-1","event_id":"e-1",
             "parent_id":"p-1","children_ids":["c-1"],"start_time":1700000000000,"end_time":1700000000250.5,
             "inputs":{"q":"what?","long":"0123456789abcdef","n":1.50,"deep":{"a":{"b":{"c":1}}}},
             "outputs":{"answer":"é <b>","none":null},"config":{"model":"gpt-4o","temperature":0.2,"stop":["\n"]},
             "metadata":{"m":1,"nested":{"__proto__":{"x":null}}},"metrics":{"score":0.5},"feedback":{"rating":5},
             "user_properties":{"user":"u1"},"error":"boom","custom_field":{"kept":true}}}
            """), TestTenant, Normalizer(limits));

        var expected = new EventRecord
        {
            EventId = Id("e-1"),
            ProjectId = TestTenant.ProjectId,
            OrgId = TestTenant.OrgId,
            WorkspaceId = TestTenant.WorkspaceId,
            SessionId = Id("s-1"),
            ParentId = Id("p-1"),
            ChildrenIds = [Id("c-1")],
            EventType = "chain",
            EventName = "pipeline",
            Source = "sdk",
            StartTime = 1700000000000,
            EndTime = 1700000000250.5,
            Duration = 250.5,
            Error = "boom",
            Inputs = Object("""{"q":"what?","long":"0123456789","n":1.50,"deep":{"a":{"b":"{\"c\":1}"}}}"""),
            Outputs = Object("""{"answer":"é <b>","none":null}"""),
            Config = Object("""{"model":"gpt-4o","temperature":0.2,"stop":["\n"]}"""),
            Metadata = Object("""
                {"m":1,"nested":{"___proto__":{"x":null}},"project_name":"p","custom_field":{"kept":true},
                 "truncated":true,"truncated_attributes":["inputs.long","inputs.deep.a.b"]}
                """),
            Metrics = Object("""{"score":0.5}"""),
            Feedback = Object("""{"rating":5}"""),
            UserProperties = Object("""{"user":"u1"}"""),
        };

        AssertSameJson(JsonSerializer.Serialize(expected), outcome.Events[0]);
    }

    [Fact]
    public void A_model_event_publishes_the_event_record_json_of_its_remapped_buckets()
    {
        using var outcome = EventRequests.CreateModelEvent(Json("""
            {"model_event":{"model":"gpt-4o","provider":"openai","messages":[{"role":"user","content":"hi"}],
             "response":{"role":"assistant","content":"hello"},"usage":{"prompt_tokens":3,"completion_tokens":2,"cached_tokens":1},
             "cost":0.25,"duration":12,"start_time":1700000000000,"event_id":"m-1","session_id":"s-1","custom":"x",
             "metadata":{"run":"r1"}}}
            """), TestTenant, Normalizer());

        var expected = new EventRecord
        {
            EventId = Id("m-1"),
            ProjectId = TestTenant.ProjectId,
            OrgId = TestTenant.OrgId,
            WorkspaceId = TestTenant.WorkspaceId,
            SessionId = Id("s-1"),
            ParentId = Id("s-1"),
            EventType = "model",
            StartTime = 1700000000000,
            EndTime = 1700000000012,
            Duration = 12,
            Inputs = Object("""{"chat_history":[{"role":"user","content":"hi"}]}"""),
            Outputs = Object("""{"role":"assistant","content":"hello"}"""),
            Config = Object("""{"model":"gpt-4o","provider":"openai","type":"chat"}"""),
            Metadata = Object("""{"run":"r1","prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"usage":{"cached_tokens":1},"cost":0.25,"custom":"x"}"""),
        };

        AssertSameJson(JsonSerializer.Serialize(expected), outcome.Events[0]);
    }

    /// <summary>Same properties in the same order, each with the same JSON text, and so the same bytes.</summary>
    private static void AssertSameJson(string expected, ReadOnlySpan<byte> published)
    {
        var actual = Encoding.UTF8.GetString(published);
        using var expectedJson = JsonDocument.Parse(expected);
        using var actualJson = JsonDocument.Parse(actual);
        Assert.Equal(
            expectedJson.RootElement.EnumerateObject().Select(p => p.Name),
            actualJson.RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var property in expectedJson.RootElement.EnumerateObject())
        {
            Assert.Equal($"{property.Name}: {property.Value.GetRawText()}", $"{property.Name}: {actualJson.RootElement.GetProperty(property.Name).GetRawText()}");
        }
        Assert.Equal(expected, actual);
    }
}
