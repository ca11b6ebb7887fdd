using System.Text.Json;
using HoneyHive.DataPlane.Api.Queries;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Tests;

[Trait("Servers", "None")]
public sealed class FilterCompilerTests
{
    private static EventFilter Filter(string field, string op, string valueJson, string? type = null) =>
        new(field, op, JsonDocument.Parse(valueJson).RootElement.Clone(), type);

    [Theory]
    [InlineData("metadata.model') OR 1=1 --")]
    [InlineData("event_name; DROP TABLE events")]
    [InlineData("metadata['x']")]
    [InlineData("project_id")]
    [InlineData("inputs")]
    [InlineData("secret_column")]
    [InlineData("metadata.a b")]
    [InlineData("")]
    public void Field_names_outside_the_whitelist_are_rejected_naming_the_field(string field)
    {
        var error = Assert.Throws<ApiRequestException>(() => FilterCompiler.Compile(Filter(field, "is", "\"x\""), new QueryParameters(Guid.NewGuid())));
        Assert.Equal(field.Length == 0 ? "field" : field, error.Field);
    }

    [Fact]
    public void User_text_reaches_the_sql_only_as_parameters()
    {
        var parameters = new QueryParameters(Guid.NewGuid());
        var hostile = "x' OR 1=1 --";
        var sql = FilterCompiler.Compile(
            [Filter("metadata.some-key.deep_er", "contains", JsonSerializer.Serialize(hostile)), Filter("event_name", "is", JsonSerializer.Serialize(hostile))],
            parameters);

        Assert.DoesNotContain(hostile, sql, StringComparison.Ordinal);
        Assert.DoesNotContain("some-key", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("deep_er", sql, StringComparison.Ordinal);
        Assert.Contains(hostile, parameters.Values.Values);
        Assert.Contains("some-key", parameters.Values.Values);
        Assert.Contains("deep_er", parameters.Values.Values);
    }

    [Theory]
    [InlineData("metadata.model", "greater than", "\"x\"", "string")]
    [InlineData("metrics.score", "contains", "1", "number")]
    [InlineData("start_time", "is", "\"x\"", "string")]
    [InlineData("metrics.score", "greater than", "\"not a number\"", "number")]
    [InlineData("metrics.passed", "is", "\"maybe\"", "boolean")]
    [InlineData("metadata.when", "after", "\"not a time\"", "datetime")]
    [InlineData("metadata.model", "like", "\"x\"", "string")]
    [InlineData("metadata.model", "is", "\"x\"", "regex")]
    public void Operators_types_and_values_that_do_not_fit_are_rejected(string field, string op, string value, string type)
    {
        var error = Assert.Throws<ApiRequestException>(() => FilterCompiler.Compile(Filter(field, op, value, type), new QueryParameters(Guid.NewGuid())));
        Assert.Equal(field, error.Field);
    }
}
