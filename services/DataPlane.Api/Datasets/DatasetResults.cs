using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Queries;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>Runs a dataset or datapoint handler and turns its refusals into problem details.</summary>
public static class DatasetResults
{
    public static async Task<Results<JsonNodeResult, ValidationProblem, ProblemHttpResult>> RunAsync(Func<Task<JsonNode>> handler)
    {
        try
        {
            return new JsonNodeResult(await handler());
        }
        catch (DatasetRequestException e) when (e.Status == StatusCodes.Status400BadRequest)
        {
            return Invalid(e.Field, e.Message);
        }
        catch (DatasetRequestException e)
        {
            return TypedResults.Problem(
                detail: e.Message, statusCode: e.Status,
                title: e.Status == StatusCodes.Status404NotFound ? "Not found" : "Request body too large",
                extensions: new Dictionary<string, object?> { ["field"] = e.Field });
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UntranslatableCharacter or PostgresErrorCodes.CharacterNotInRepertoire)
        {
            // PostgreSQL text and jsonb cannot hold U+0000; the JSON parser accepted it.
            return Invalid("body", "The body holds a NUL character (\\u0000), which cannot be stored.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A dataset or datapoint the request named was deleted while it ran.
            return TypedResults.Problem(detail: "A dataset or datapoint of the request no longer exists.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message, title: "The request is not valid.");
}
