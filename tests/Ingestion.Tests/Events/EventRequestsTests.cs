using System.Text;
using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static HoneyHive.Ingestion.Tests.Events.EventNormalizerTests;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Tests.Events;

[Trait("Servers", "None")]
public sealed class EventRequestsTests
{
    private static JsonElement Body(string json) => Json(json);

    /// <summary>The route's events as published (the batch's JSON), read back as the Writer's contract types them.</summary>
    private static List<EventRecord> Events(EventIngestService.Outcome outcome) => Published(outcome.Events);

    private static JsonElement Response(EventIngestService.Outcome outcome) =>
        Response(outcome.Respond(outcome.Session));

    private static JsonElement Response(IResult result)
    {
        var value = result.GetType().GetProperty("Value")!.GetValue(result);
        return JsonSerializer.SerializeToElement(value);
    }

    [Fact]
    public void Legacy_event_accepts_a_JSON_encoded_string_and_an_object()
    {
        var fromString = EventRequests.CreateEventLegacy(Body("""{"event":"{\"event_type\":\"tool\",\"inputs\":{\"a\":1}}"}"""), TestTenant, Normalizer());
        var fromObject = EventRequests.CreateEventLegacy(Body("""{"event":{"event_type":"tool","inputs":{"a":1}}}"""), TestTenant, Normalizer());

        Assert.Equal(1, Assert.Single(Events(fromString)).Inputs["a"]!.GetValue<int>());
        Assert.Equal(1, Assert.Single(Events(fromObject)).Inputs["a"]!.GetValue<int>());
        var response = Response(fromString);
        Assert.True(response.GetProperty("success").GetBoolean());
        Assert.Equal(Events(fromString)[0].EventId, response.GetProperty("event_id").GetString());
    }

    [Theory]
    [InlineData("""{"event":"{not json"}""", "'event' (a JSON-encoded string) is not valid JSON")]
    [InlineData("""{"event":"[1,2]"}""", "'event' (a JSON-encoded string) must be a JSON object, not an array")]
    [InlineData("""{"event":42}""", "'event' must be an object or a JSON-encoded object string, not a number")]
    [InlineData("""{}""", "'event' is required")]
    public void A_bad_legacy_event_wrapper_is_refused(string json, string detail)
    {
        var refused = Assert.Throws<ApiRequestException>(() => EventRequests.CreateEventLegacy(Body(json), TestTenant, Normalizer()));

        Assert.Equal(400, refused.Status);
        Assert.Contains(detail, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"event_type":"tool","inputs":{"a":1,"a":2}}""", "has the property 'a' twice in one object")]
    [InlineData("""{"events":[{"inputs":{"b":[{"k":1,"\u006b":2}]}}],"x":1}""", "has the property 'k' twice in one object")]
    [InlineData("""{"events":[],"events":[]}""", "has the property 'events' twice in one object")]
    public void A_body_with_a_property_twice_in_one_object_is_refused(string json, string detail)
    {
        var refused = Assert.Throws<ApiRequestException>(() => EventRequestBody.ParseDocument(Encoding.UTF8.GetBytes(json), "The request body"));

        Assert.Equal(400, refused.Status);
        Assert.Contains(detail, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_start_accepts_both_shapes_and_answers_the_full_session_object()
    {
        var outcome = EventRequests.StartSessionLegacy(Body("""{"session":"{\"session_name\":\"s\",\"project\":\"p\"}"}"""), TestTenant, Normalizer());

        Assert.Empty(Events(outcome));
        var session = outcome.Session!;
        Assert.Equal("s", session.EventName);
        var response = Response(outcome);
        Assert.Equal(session.SessionId, response.GetProperty("session_id").GetString());
        Assert.Equal(session.SessionId, response.GetProperty("event_id").GetString());
        Assert.Equal(TestTenant.OrgId, response.GetProperty("org_id").GetString());
        Assert.Equal(TestTenant.WorkspaceId, response.GetProperty("workspace_id").GetString());
        Assert.Equal(TestTenant.ProjectId, response.GetProperty("project_id").GetString());
        Assert.Equal(JsonValueKind.Array, response.GetProperty("children_ids").ValueKind);
        Assert.False(response.TryGetProperty("revision", out _));
        Assert.Equal("s", EventRequests.StartSessionLegacy(Body("""{"session":{"session_name":"s"}}"""), TestTenant, Normalizer()).Session!.EventName);
    }

    [Fact]
    public void Single_session_batch_creates_the_session_and_puts_every_event_in_it()
    {
        var outcome = EventRequests.CreateEventBatch(Body("""
            {"events":[{"event_type":"tool","inputs":{},"session_id":"ignored"},{"event_type":"model","inputs":{},"parent_id":"p1"}],
             "single_session":true,"session_properties":{"session_name":"batch","metadata":{"k":1}}}
            """), TestTenant, Normalizer(), new IngestLimits());

        var session = outcome.Session!;
        var events = Events(outcome);
        Assert.Equal("batch", session.EventName);
        Assert.All(events, e => Assert.Equal(session.SessionId, e.SessionId));
        Assert.Equal(session.SessionId, events[0].ParentId);
        Assert.Equal(EventIds.Normalize("p1", TestTenant.ProjectId), events[1].ParentId);
        var response = Response(outcome);
        Assert.Equal(session.SessionId, response.GetProperty("session_id").GetString());
        Assert.Equal(events.Select(e => e.EventId), response.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.True(response.GetProperty("success").GetBoolean());
    }

    [Fact]
    public void Legacy_batch_accepts_is_single_session_and_session_aliases()
    {
        var outcome = EventRequests.CreateEventBatchLegacy(Body("""
            {"events":[{"event_type":"chain","inputs":{}}],"is_single_session":true,"session":{"session_name":"legacy"}}
            """), TestTenant, Normalizer(), new IngestLimits());

        Assert.Equal("legacy", outcome.Session!.EventName);
        Assert.Equal(outcome.Session.SessionId, Events(outcome)[0].SessionId);
    }

    [Fact]
    public void V1_batch_refuses_the_legacy_aliases_and_names_the_failing_event()
    {
        var alias = Assert.Throws<ApiRequestException>(() => EventRequests.CreateEventBatch(Body("""{"events":[],"is_single_session":true}"""), TestTenant, Normalizer(), new IngestLimits()));
        var second = Assert.Throws<ApiRequestException>(() => EventRequests.CreateEventBatch(Body("""{"events":[{"event_type":"tool","inputs":{}},{"event_type":"tool"}]}"""), TestTenant, Normalizer(), new IngestLimits()));

        Assert.Contains("'is_single_session' is not accepted", alias.Message, StringComparison.Ordinal);
        Assert.Contains("'events[1].inputs' is required", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_over_the_event_limit_is_413()
    {
        var refused = Assert.Throws<ApiRequestException>(() => EventRequests.CreateEventBatch(
            Body("""{"events":[{"event_type":"tool","inputs":{}},{"event_type":"tool","inputs":{}},{"event_type":"tool","inputs":{}}]}"""),
            TestTenant, Normalizer(), new IngestLimits { MaxSpansPerRequest = 2 }));

        Assert.Equal(413, refused.Status);
        Assert.Contains("at most 2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_event_batch_takes_the_session_from_the_path_and_answers_success_only()
    {
        var outcome = EventRequests.CreateSessionEventBatch(Body("""{"events":[{"event_type":"tool","inputs":{},"session_id":"other"}]}"""),
            TestTenant, Normalizer(), new IngestLimits(), "caf77ace-3417-4da4-944d-f4a0688f3c23");

        Assert.Null(outcome.Session);
        Assert.Equal("caf77ace-3417-4da4-944d-f4a0688f3c23", Events(outcome)[0].SessionId);
        Assert.Equal("""{"success":true}""", Response(outcome).GetRawText());
    }

    [Theory]
    [InlineData("events")]
    [InlineData("logs")]
    public void Session_traces_take_events_or_logs_into_the_path_session_and_answer_success_only(string field)
    {
        var outcome = EventRequests.AddSessionTracesLegacy(Body($$$"""{"{{{field}}}":[{"event_type":"tool","inputs":{},"session_id":"other","project":"p"},{"event_type":"chain","inputs":{}}]}"""),
            TestTenant, Normalizer(), new IngestLimits(), "caf77ace-3417-4da4-944d-f4a0688f3c23");

        Assert.Null(outcome.Session);
        Assert.Equal(2, Events(outcome).Count);
        Assert.All(Events(outcome), e => Assert.Equal("caf77ace-3417-4da4-944d-f4a0688f3c23", e.SessionId));
        Assert.Equal("""{"success":true}""", Response(outcome).GetRawText());
    }

    [Theory]
    [InlineData("""{"events":[],"logs":[]}""", "not both")]
    [InlineData("""{}""", "'events' is required")]
    [InlineData("""{"events":{}}""", "'events' must be an array")]
    [InlineData("""{"logs":[{"inputs":{}}]}""", "logs[0].event_type")]
    public void Session_traces_refuse_a_bad_body_naming_the_field(string body, string expected)
    {
        var refused = Assert.Throws<ApiRequestException>(() =>
            EventRequests.AddSessionTracesLegacy(Body(body), TestTenant, Normalizer(), new IngestLimits(), "caf77ace-3417-4da4-944d-f4a0688f3c23"));
        Assert.Equal(400, refused.Status);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_traces_refuse_more_events_than_the_request_limit()
    {
        var refused = Assert.Throws<ApiRequestException>(() => EventRequests.AddSessionTracesLegacy(
            Body("""{"events":[{"event_type":"tool","inputs":{}},{"event_type":"tool","inputs":{}},{"event_type":"tool","inputs":{}}]}"""),
            TestTenant, Normalizer(), new IngestLimits { MaxSpansPerRequest = 2 }, "caf77ace-3417-4da4-944d-f4a0688f3c23"));
        Assert.Equal(413, refused.Status);
    }

    [Fact]
    public void Model_batch_remaps_every_event_and_defaults_the_type_to_model()
    {
        var outcome = EventRequests.CreateModelEventBatch(Body("""
            {"model_events":[{"model":"gpt-4o","provider":"openai","messages":[{"role":"user","content":"hi"}],"response":{"role":"assistant","content":"hello"},"usage":{"prompt_tokens":3,"completion_tokens":2},"duration":12}]}
            """), TestTenant, Normalizer(), new IngestLimits());

        var model = Assert.Single(Events(outcome));
        Assert.Equal("model", model.EventType);
        Assert.Equal("gpt-4o", model.Config["model"]!.GetValue<string>());
        Assert.Equal(5, model.Metadata["total_tokens"]!.GetValue<double>());
        Assert.Equal(12, model.Duration);
        Assert.IsType<Ok<PostEventBatchResponse>>(outcome.Respond(null));
    }
}
