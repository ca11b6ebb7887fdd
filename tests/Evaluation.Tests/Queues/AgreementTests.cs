using System.Net;
using System.Text.Json.Nodes;
using HoneyHive.Evaluation.Queues;
using static HoneyHive.Evaluation.Tests.Queues.QueueHttp;

namespace HoneyHive.Evaluation.Tests.Queues;

[Collection(QueuesCollection.Name)]
public sealed class AgreementTests(QueuesFixture fixture)
{
    /// <summary>
    /// Eight items; people (H) and the judge (J):
    /// H = T T T T T F F F, J = T T T F F F F T. Agreement on items 1, 2, 3, 6, 7: po = 5/8 = 0.625.
    /// Chance: H is true 5/8, J 4/8, so pe = 5/8 * 4/8 + 3/8 * 4/8 = 20/64 + 12/64 = 0.5.
    /// Cohen's kappa = (po - pe) / (1 - pe) = 0.125 / 0.5 = 0.25.
    /// </summary>
    [Fact]
    public async Task A_boolean_judge_is_compared_with_the_people_by_exact_agreement_and_cohens_kappa()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "agree_ok", ["type"] = "HUMAN", ["criteria"] = "OK?", ["return_type"] = "boolean" });
        await fixture.CreateMetricAsync(p, new JsonObject
        {
            ["name"] = "judge_ok", ["type"] = "LLM", ["criteria"] = "Is {{outputs.content}} OK?", ["return_type"] = "boolean",
            ["model_provider"] = "openai", ["model_name"] = "gpt-4o-mini",
        });
        bool[] human = [true, true, true, true, true, false, false, false];
        bool[] judge = [true, true, true, false, false, false, false, true];
        var events = await fixture.IngestAsync(p, judge.Select(j => ("agree", (JsonObject?)null, (JsonObject?)new JsonObject { ["judge_ok"] = j })));
        // A ninth item the judge scored but nobody did: not a pair.
        var unscored = await fixture.IngestAsync(p, [("agree", null, new JsonObject { ["judge_ok"] = true })]);
        var client = fixture.Client(Callers.AliceA);
        var queue = await CreateQueueAsync(client, new { name = "agreement", event_ids = events.Concat(unscored) });
        for (var i = 0; i < events.Count; i++)
            await ExpectAsync(client, HttpMethod.Post, $"/v1/queues/{queue}/items/{events[i]}/scores", new { metric = "agree_ok", value = human[i] }, HttpStatusCode.OK);

        var agreement = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=agree_ok&judge=judge_ok", null, HttpStatusCode.OK);
        Assert.Equal(8, agreement["n"]!.GetValue<int>());
        Assert.Equal(0.625, agreement["exact_agreement"]!.GetValue<double>(), 9);
        Assert.Equal(0.25, agreement["cohens_kappa"]!.GetValue<double>(), 9);
        Assert.Null(agreement["mean_absolute_error"]);

        Assert.Equal(["judge"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=agree_ok", null));
        Assert.Equal(["judge"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=agree_ok&judge=agree_ok", null));
        Assert.Equal(["metric"], await ErrorFieldsAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=judge_ok&judge=judge_ok", null));
    }

    /// <summary>
    /// Ratings H = 1 2 3 4, J = 2 2 4 5: |H - J| = 1 0 1 1, MAE = 0.75; exact 1/4.
    /// Pearson: means 2.5 and 3.25; deviations H -1.5 -0.5 0.5 1.5, J -1.25 -1.25 0.75 1.75; covariance sum 5.5;
    /// squares 5 and 6.75; r = 5.5 / sqrt(33.75) = 0.946729...
    /// </summary>
    [Fact]
    public async Task A_float_judge_is_compared_by_mean_absolute_error_and_pearson_correlation()
    {
        var p = Callers.A.ProjectId;
        await fixture.CreateMetricAsync(p, new JsonObject { ["name"] = "agree_rating", ["type"] = "HUMAN", ["criteria"] = "Rate", ["return_type"] = "float", ["scale"] = 5 });
        await fixture.CreateMetricAsync(p, new JsonObject
        {
            ["name"] = "judge_rating", ["type"] = "LLM", ["criteria"] = "Rate {{outputs.content}}", ["return_type"] = "float",
            ["model_provider"] = "openai", ["model_name"] = "gpt-4o-mini",
        });
        double[] human = [1, 2, 3, 4];
        double[] judge = [2, 2, 4, 5];
        var events = await fixture.IngestAsync(p, judge.Select(j => ("rate", (JsonObject?)null, (JsonObject?)new JsonObject { ["judge_rating"] = j })));
        var client = fixture.Client(Callers.BobA);
        var queue = await CreateQueueAsync(client, new { name = "agreement-float", event_ids = events });
        for (var i = 0; i < events.Count; i++)
            await ExpectAsync(client, HttpMethod.Post, $"/v1/queues/{queue}/items/{events[i]}/scores", new { metric = "agree_rating", value = human[i] }, HttpStatusCode.OK);

        var agreement = await ExpectAsync(client, HttpMethod.Get, $"/v1/queues/{queue}/agreement?metric=agree_rating&judge=judge_rating", null, HttpStatusCode.OK);
        Assert.Equal(4, agreement["n"]!.GetValue<int>());
        Assert.Equal(0.25, agreement["exact_agreement"]!.GetValue<double>(), 9);
        Assert.Equal(0.75, agreement["mean_absolute_error"]!.GetValue<double>(), 9);
        Assert.Equal(5.5 / Math.Sqrt(33.75), agreement["pearson"]!.GetValue<double>(), 9);
        Assert.Null(agreement["cohens_kappa"]);
    }

    [Fact]
    public void Kappa_of_three_categories_matches_the_hand_computed_value()
    {
        // H = a a b b c c, J = a b b b c a: agree on 1, 3, 4, 5: po = 4/6. H: a 2/6, b 2/6, c 2/6; J: a 2/6, b 3/6, c 1/6.
        // pe = (2*2 + 2*3 + 2*1) / 36 = 12/36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5.
        string[] h = ["a", "a", "b", "b", "c", "c"];
        string[] j = ["a", "b", "b", "b", "c", "a"];
        var result = Agreement.Compute("categorical", [.. h.Zip(j, (x, y) => ((JsonNode)x, (JsonNode)y))]);
        Assert.Equal(6, result.N);
        Assert.Equal(0.5, result.CohensKappa!.Value, 9);
    }

    [Fact]
    public void Kappa_is_undefined_when_both_sides_always_give_the_same_label()
    {
        var result = Agreement.Compute("boolean", [((JsonNode)true, (JsonNode)true), ((JsonNode)true, (JsonNode)true)]);
        Assert.Equal(1.0, result.ExactAgreement);
        Assert.Null(result.CohensKappa);
    }
}
