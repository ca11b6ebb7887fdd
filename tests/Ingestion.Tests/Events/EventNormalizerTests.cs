using System.Text.Json;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Events;
using HoneyHive.Ingestion.Normalization;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.Ingestion.Tests.Events;

[Trait("Servers", "None")]
public sealed class EventNormalizerTests
{
    internal static readonly Tenant TestTenant = new("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333");
    internal static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    internal static EventNormalizer Normalizer(IngestLimits? limits = null) =>
        new(limits ?? new IngestLimits(), new FixedClock(Now));

    internal static JsonElement Json(string json) => JsonElement.Parse(json);

    /// <summary>The event as published (its JSON in the batch), read back the way the Writer's contract types it.</summary>
    private static EventRecord Event(string json, bool v1 = false, IngestLimits? limits = null)
    {
        using var record = Normalizer(limits).Event(Json(json), TestTenant, new EventReadOptions(v1), "");
        return Published(record);
    }

    internal static EventRecord Published(SpanEvent record)
    {
        using var batch = new EventJsonBatch();
        batch.Add(record);
        return Assert.Single(Published(batch));
    }

    internal static List<EventRecord> Published(EventJsonBatch batch)
    {
        var events = new List<EventRecord>(batch.Count);
        for (var i = 0; i < batch.Count; i++) events.Add(JsonSerializer.Deserialize<EventRecord>(batch[i])!);
        return events;
    }

    private static ApiRequestException Refused(Action action) => Assert.Throws<ApiRequestException>(action);

    [Fact]
    public void Missing_ids_are_generated_and_the_parent_defaults_to_the_session()
    {
        var record = Event("""{"event_type":"tool","inputs":{"q":"x"}}""");

        Assert.True(Guid.TryParse(record.EventId, out _));
        Assert.True(Guid.TryParse(record.SessionId, out _));
        Assert.NotEqual(record.EventId, record.SessionId);
        Assert.Equal(record.SessionId, record.ParentId);
        Assert.Equal("unknown", record.EventName);
        Assert.Equal("unknown", record.Source);
        Assert.Equal(TestTenant.ProjectId, record.ProjectId);
        Assert.Equal(TestTenant.OrgId, record.OrgId);
        Assert.Equal(TestTenant.WorkspaceId, record.WorkspaceId);
        Assert.Equal(0UL, record.Revision);
    }

    [Fact]
    public void Non_uuid_ids_map_to_the_same_uuid_every_time_within_a_project()
    {
        var first = Event("""{"event_type":"chain","inputs":{},"session_id":"my-session","event_id":"step-1"}""");
        var again = Event("""{"event_type":"chain","inputs":{},"session_id":"my-session","event_id":"step-1"}""");
        var kept = Event("""{"event_type":"chain","inputs":{},"session_id":"caf77ace-3417-4da4-944d-f4a0688f3c23"}""");

        Assert.True(Guid.TryParse(first.SessionId, out _));
        Assert.Equal(first.SessionId, again.SessionId);
        Assert.Equal(first.EventId, again.EventId);
        Assert.Equal(EventIds.Normalize("my-session", TestTenant.ProjectId), first.SessionId);
        Assert.Equal("caf77ace-3417-4da4-944d-f4a0688f3c23", kept.SessionId);
    }

    [Fact]
    public void Duration_is_computed_from_the_times_and_non_numeric_times_become_now()
    {
        var timed = Event("""{"event_type":"model","inputs":{},"start_time":1700000000000,"end_time":1700000001500}""");
        var stringTimes = Event("""{"event_type":"model","inputs":{},"start_time":"yesterday","end_time":"today"}""");
        var startAndDuration = Event("""{"event_type":"model","inputs":{},"start_time":1700000000000,"duration":250}""");

        Assert.Equal(1500, timed.Duration);
        Assert.Equal(Now.ToUnixTimeMilliseconds(), stringTimes.StartTime);
        Assert.Equal(Now.ToUnixTimeMilliseconds(), stringTimes.EndTime);
        Assert.Equal(0, stringTimes.Duration);
        Assert.Equal(1700000000250, startAndDuration.EndTime);
        Assert.Equal(250, startAndDuration.Duration);
    }

    [Fact]
    public void The_payload_project_is_ignored_and_kept_as_metadata_project_name()
    {
        var record = Event("""{"event_type":"tool","inputs":{},"project":"someone-elses","project_id":"44444444-4444-4444-4444-444444444444"}""");

        Assert.Equal(TestTenant.ProjectId, record.ProjectId);
        Assert.Equal("someone-elses", record.Metadata["project_name"]!.GetValue<string>());
    }

    [Fact]
    public void Buckets_are_kept_and_unknown_legacy_fields_land_in_metadata()
    {
        var record = Event("""
            {"event_type":"model","event_name":"llm","source":"sdk-test","inputs":{"a":1},"outputs":{"b":2},
             "config":{"model":"gpt-4o"},"metadata":{"m":1},"metrics":{"score":0.5},"feedback":{"rating":5},
             "user_properties":{"user":"u1"},"error":"boom","children_ids":["c-1"],"custom_field":"kept"}
            """);

        Assert.Equal("llm", record.EventName);
        Assert.Equal("sdk-test", record.Source);
        Assert.Equal(1, record.Inputs["a"]!.GetValue<int>());
        Assert.Equal(2, record.Outputs["b"]!.GetValue<int>());
        Assert.Equal("gpt-4o", record.Config["model"]!.GetValue<string>());
        Assert.Equal(0.5, record.Metrics["score"]!.GetValue<double>());
        Assert.Equal(5, record.Feedback["rating"]!.GetValue<int>());
        Assert.Equal("u1", record.UserProperties["user"]!.GetValue<string>());
        Assert.Equal("boom", record.Error);
        Assert.Equal(EventIds.Normalize("c-1", TestTenant.ProjectId), Assert.Single(record.ChildrenIds!));
        Assert.Equal("kept", record.Metadata["custom_field"]!.GetValue<string>());
    }

    [Fact]
    public void Hostile_keys_are_renamed_like_OTLP_attributes()
    {
        var record = Event("""{"event_type":"tool","inputs":{"__proto__":{"polluted":true},"nested":{"constructor":1}}}""");

        Assert.False(record.Inputs.ContainsKey("__proto__"));
        Assert.True(record.Inputs["___proto__"]!["polluted"]!.GetValue<bool>());
        Assert.Equal(1, record.Inputs["nested"]!["_constructor"]!.GetValue<int>());
    }

    [Fact]
    public void Over_long_values_are_clipped_and_flagged()
    {
        var record = Event("""{"event_type":"tool","inputs":{"long":"0123456789abcdef"}}""", limits: new IngestLimits { MaxValueLength = 10 });

        Assert.Equal("0123456789", record.Inputs["long"]!.GetValue<string>());
        Assert.True(record.Metadata["truncated"]!.GetValue<bool>());
        Assert.Contains("inputs.long", record.Metadata["truncated_attributes"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"inputs":{}}""", "'event_type' is required")]
    [InlineData("""{"event_type":"span","inputs":{}}""", "'event_type' is \"span\"; it must be one of session, model, tool, chain")]
    [InlineData("""{"event_type":7,"inputs":{}}""", "'event_type' must be a string")]
    [InlineData("""{"event_type":"tool"}""", "'inputs' is required")]
    [InlineData("""{"event_type":"tool","inputs":"text"}""", "'inputs' must be a JSON object, not a string")]
    [InlineData("""{"event_type":"tool","inputs":{},"metadata":[1]}""", "'metadata' must be a JSON object, not an array")]
    [InlineData("""{"event_type":"tool","inputs":{},"event_name":12}""", "'event_name' must be a string, not a number")]
    [InlineData("""{"event_type":"tool","inputs":{},"children_ids":[1]}""", "'children_ids[0]' must be a string")]
    public void Invalid_events_are_refused_with_the_field_named(string json, string detail)
    {
        var refused = Refused(() => Event(json));

        Assert.Equal(400, refused.Status);
        Assert.Contains(detail, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_v1_schema_is_closed()
    {
        var refused = Refused(() => Event("""{"event_type":"tool","inputs":{},"projectt":"typo"}""", v1: true));

        Assert.Contains("'projectt' is not a field", refused.Message, StringComparison.Ordinal);
        Assert.Equal("x", Event("""{"event_type":"tool","inputs":{},"projectt":"x"}""").Metadata["projectt"]!.GetValue<string>());
    }

    [Fact]
    public void A_session_is_its_own_event_named_after_session_name_without_a_parent()
    {
        var session = Normalizer().Session(Json("""{"session_name":"chat","session_id":"not-a-uuid","source":"prod","metadata":{"k":"v"}}"""),
            TestTenant, new EventReadOptions(true), "");

        Assert.Equal("session", session.EventType);
        Assert.Equal("chat", session.EventName);
        Assert.Equal(EventIds.Normalize("not-a-uuid", TestTenant.ProjectId), session.SessionId);
        Assert.Equal(session.SessionId, session.EventId);
        Assert.Null(session.ParentId);
        Assert.Equal("prod", session.Source);
        Assert.Empty(session.Inputs);
        Assert.Equal("v", session.Metadata["k"]!.GetValue<string>());
    }

    [Fact]
    public void A_session_with_another_event_type_is_refused()
    {
        var refused = Refused(() => Normalizer().Session(Json("""{"event_type":"model"}"""), TestTenant, new EventReadOptions(false), "session"));

        Assert.Contains("'session.event_type' must be \"session\"", refused.Message, StringComparison.Ordinal);
    }
}

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
