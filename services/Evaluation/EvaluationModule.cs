using HoneyHive.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Evaluation;

/// <summary>Consumes evaluation.>, runs evaluators, online evals and experiment-run workflows.</summary>
public static class EvaluationModule
{
    public const string AppId = AppIds.Evaluation;

    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        return builder;
    }

    public static RouteGroupBuilder MapEvaluation(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("");
        return group;
    }
}
