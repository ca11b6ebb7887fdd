using HoneyHive.Ingestion.Events;
using static HoneyHive.Ingestion.Tests.Events.EventNormalizerTests;

namespace HoneyHive.Ingestion.Tests.Events;

[Trait("Servers", "None")]
public sealed class SessionRegistryTests
{
    [Fact]
    public void A_repeat_merges_metadata_and_user_properties_into_the_stored_session_one_revision_later()
    {
        var normalizer = Normalizer();
        var stored = normalizer.Session(Json("""{"session_id":"s","session_name":"first","metadata":{"a":1,"b":1},"user_properties":{"u":"x"},"inputs":{"q":1}}"""), TestTenant, new EventReadOptions(true), "");
        var repeat = normalizer.Session(Json("""{"session_id":"s","session_name":"second","metadata":{"b":2,"c":3},"user_properties":{"v":"y"}}"""), TestTenant, new EventReadOptions(true), "");

        var merged = SessionRegistry.Merge(stored, repeat);

        Assert.Equal("first", merged.EventName);
        Assert.Equal(1, merged.Inputs["q"]!.GetValue<int>());
        Assert.Equal(1, merged.Metadata["a"]!.GetValue<int>());
        Assert.Equal(2, merged.Metadata["b"]!.GetValue<int>());
        Assert.Equal(3, merged.Metadata["c"]!.GetValue<int>());
        Assert.Equal("x", merged.UserProperties["u"]!.GetValue<string>());
        Assert.Equal("y", merged.UserProperties["v"]!.GetValue<string>());
        Assert.Equal(1UL, merged.Revision);
        Assert.Equal($"session:{TestTenant.ProjectId}:{merged.SessionId}", SessionRegistry.Key(TestTenant.ProjectId, merged.SessionId));
    }
}
