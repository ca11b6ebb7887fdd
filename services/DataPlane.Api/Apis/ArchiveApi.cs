using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Lifecycle;
using HoneyHive.ServiceDefaults;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// POST /v1/projects/{project_id}/archive/restore: loads archived days of the caller's own project back into the
/// event store, exactly once per day. Writing events back is what the route does, so it needs events:write (a key's
/// write scope). Another project's id answers 404 like an unknown one.
/// </summary>
public static class ArchiveApi
{
    private static readonly HashSet<string> Fields = ["from", "to"];

    public static void MapArchiveApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/projects/{project_id}/archive/restore", RestoreAsync).RequirePermission(Permissions.EventsWrite)
            .Accepts<RestoreRequest>("application/json");
    }

    private static async Task<Ok<RestoreResponse>> RestoreAsync(
        ClaimsPrincipal user, HttpRequest request, [FromRoute(Name = "project_id")] string projectId,
        [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb, ArchiveRestorer restorer,
        IOptions<LifecycleOptions> options, CancellationToken cancellationToken)
    {
        var project = await OwnProject.RequireAsync(user, projectId, dpdb,
            "No archive of this project for the caller: a key or token restores its own project only.", cancellationToken);
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var (from, to) = ReadRange(body, options.Value.MaxRestoreDays);

        var days = await restorer.RestoreAsync(project, from, to, cancellationToken);
        return TypedResults.Ok(new RestoreResponse(
            project.ToString("D"), ArchiveLayout.Day(from), ArchiveLayout.Day(to),
            days.Where(d => d.Status == ArchiveRestorer.Restored).Sum(d => d.Rows), days));
    }

    /// <summary>from and to (inclusive UTC days, yyyy-MM-dd), from ≤ to, at most <paramref name="maxDays"/> days.</summary>
    private static (DateOnly From, DateOnly To) ReadRange(System.Text.Json.Nodes.JsonObject body, int maxDays)
    {
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, Fields, errors);
        var from = Day(JsonBody.String(body, "from", "from", errors, required: true, maxLength: 10), "from", errors);
        var to = Day(JsonBody.String(body, "to", "to", errors, required: true, maxLength: 10), "to", errors);
        errors.ThrowIfAny();
        return CheckRange(from!.Value, to!.Value, maxDays);
    }

    private static (DateOnly From, DateOnly To) CheckRange(DateOnly from, DateOnly to, int maxDays)
    {
        if (from > to)
            throw ApiRequestException.BadRequest("from", $"from ({ArchiveLayout.Day(from)}) is after to ({ArchiveLayout.Day(to)}); send from <= to.");
        if (to.DayNumber - from.DayNumber + 1 > maxDays)
            throw ApiRequestException.BadRequest("to", $"The range holds {to.DayNumber - from.DayNumber + 1} days; restore at most {maxDays} days per request.");
        return (from, to);
    }

    private static DateOnly? Day(string? text, string field, FieldErrors errors)
    {
        if (text is null) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return day;
        errors.Add(field, $"{field} must be a day as yyyy-MM-dd (UTC), got '{text}'.");
        return null;
    }

    public sealed class RestoreRequest
    {
        [JsonPropertyName("from")] public string? From { get; init; }
        [JsonPropertyName("to")] public string? To { get; init; }
    }

    public sealed record RestoreResponse(
        [property: JsonPropertyName("project_id")] string ProjectId,
        [property: JsonPropertyName("from")] string From,
        [property: JsonPropertyName("to")] string To,
        [property: JsonPropertyName("rows_restored")] long RowsRestored,
        [property: JsonPropertyName("days")] IReadOnlyList<RestoredDay> Days);
}
