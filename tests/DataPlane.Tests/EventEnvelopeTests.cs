using System.Text;
using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;

namespace HoneyHive.DataPlane.Tests;

[Trait("Servers", "None")]
public sealed class EventEnvelopeTests
{
    private static string? ProjectOf(string json) => EventEnvelope.ProjectId(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void ProjectId_is_read_from_data_after_other_envelope_fields_of_any_shape()
    {
        var json = """{"specversion":"1.0","extra":{"project_id":"not-this","nested":[1,{"a":2}]},"data":{"events":[{"project_id":"nor-this"}],"project_id":"p-1"}}""";

        Assert.Equal("p-1", ProjectOf(json));
    }

    [Theory]
    [InlineData("""{"specversion":"1.0"}""")]
    [InlineData("""{"data":{"events":[]}}""")]
    [InlineData("""{"data":"text"}""")]
    [InlineData("""{"data":{"project_id":42}}""")]
    [InlineData("""[1,2]""")]
    public void ProjectId_is_null_when_the_envelope_names_no_project_as_text(string json)
    {
        Assert.Null(ProjectOf(json));
    }

    [Fact]
    public void ProjectId_throws_on_malformed_json_so_the_consumer_can_log_it()
    {
        Assert.ThrowsAny<JsonException>(() => ProjectOf("""{"data":{"project_id":"p-1"""));
    }
}
