using System.Net;

namespace HoneyHive.DataPlane.Tests.Datasets;

/// <summary>Project B's key with project A's ids: 404 on every route, no data in any answer, nothing changed.</summary>
public sealed class DatasetTenancyTests(ApiFixture api, DatasetsFixture fixture) : DatasetTestBase(api, fixture)
{
    [Fact]
    public async Task Another_projects_dataset_and_datapoint_ids_answer_404_and_reveal_nothing()
    {
        const string secret = "project-a-secret";
        var point = await A.CreateDatapointAsync(new { inputs = new { secret } });
        var dataset = await A.CreateDatasetAsync(new { name = secret, description = secret, datapoints = new[] { point } });
        var ownDataset = await B.CreateDatasetAsync(new { name = "b-own" });
        var ownPoint = await B.CreateDatapointAsync(new { inputs = new { mine = true } });

        var answers = new List<string>
        {
            (await B.GetJsonAsync($"/v1/datapoints/{point}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.GetJsonAsync($"/datapoints/{point}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.PutJsonAsync($"/v1/datapoints/{point}", new { inputs = new { hijacked = true } }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.DeleteJsonAsync($"/v1/datapoints/{point}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.PutJsonAsync($"/v1/datasets/{dataset}", new { name = "hijacked" }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.PutJsonAsync("/datasets", new { dataset_id = dataset, name = "hijacked" }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.DeleteJsonAsync($"/v1/datasets/{dataset}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.DeleteJsonAsync($"/datasets?dataset_id={dataset}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.DeleteJsonAsync($"/v1/datasets/{dataset}/datapoints/{point}", HttpStatusCode.NotFound)).GetRawText(),
            (await B.PostJsonAsync($"/v1/datasets/{dataset}/datapoints", new { data = new[] { new { q = 1 } }, mapping = new { inputs = new[] { "q" } } }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.GetJsonAsync($"/v1/datapoints?dataset_id={dataset}", HttpStatusCode.NotFound)).GetRawText(),
            // B's own dataset and datapoint cannot be linked to A's.
            (await B.PutJsonAsync($"/v1/datasets/{ownDataset}", new { datapoints = new[] { point } }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.PostJsonAsync("/v1/datasets", new { name = "steal", datapoints = new[] { point } }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.PostJsonAsync("/v1/datapoints", new { inputs = new { }, linked_datasets = new[] { dataset } }, HttpStatusCode.NotFound)).GetRawText(),
            (await B.PutJsonAsync($"/v1/datapoints/{ownPoint}", new { linked_datasets = new[] { dataset } }, HttpStatusCode.NotFound)).GetRawText(),
        };
        Assert.All(answers, body => Assert.DoesNotContain(secret, body));

        // Lists under B's key hold nothing of A's, whatever the filter names.
        Assert.Empty((await B.GetJsonAsync($"/v1/datasets?dataset_id={dataset}")).GetProperty("datasets").EnumerateArray());
        Assert.Empty((await B.GetJsonAsync($"/v1/datasets?name={secret}")).GetProperty("datasets").EnumerateArray());
        Assert.Empty((await B.GetJsonAsync($"/v1/datapoints?datapoint_ids={point}")).GetProperty("datapoints").EnumerateArray());
        Assert.Empty((await B.GetJsonAsync($"/v1/datapoints?dataset_name={secret}")).GetProperty("datapoints").EnumerateArray());
        var bDatasets = (await B.GetJsonAsync("/v1/datasets")).GetRawText();
        Assert.DoesNotContain(secret, bDatasets);
        Assert.DoesNotContain(dataset, bDatasets);
        Assert.DoesNotContain(secret, (await B.GetJsonAsync("/v1/datapoints")).GetRawText());

        // A's data is untouched.
        var after = await A.DatasetAsync(dataset);
        Assert.Equal(secret, after.GetProperty("name").GetString());
        Assert.Equal([point], after.GetProperty("datapoints").Strings());
        var afterPoint = await A.DatapointAsync(point);
        Assert.Equal(secret, afterPoint.GetProperty("inputs").GetProperty("secret").GetString());
        Assert.False(afterPoint.GetProperty("inputs").TryGetProperty("hijacked", out _));
        Assert.Equal([dataset], afterPoint.GetProperty("linked_datasets").Strings());
    }

    [Fact]
    public async Task The_database_refuses_a_link_across_projects_even_without_the_api_checks()
    {
        var point = await A.CreateDatapointAsync(new { inputs = new { } });
        var dataset = await B.CreateDatasetAsync(new { name = "b" });
        await using var command = Fixture.Dpdb.CreateCommand(
            "INSERT INTO dataset_datapoints (project_id, dataset_id, datapoint_id) VALUES (@project, @dataset, @point)");
        command.Parameters.AddWithValue("project", Tenants.DatasetsB.ProjectId);
        command.Parameters.AddWithValue("dataset", Guid.Parse(dataset));
        command.Parameters.AddWithValue("point", Guid.Parse(point));
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(Npgsql.PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
    }
}
