using System.Security.Claims;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.DataPlane.Api.Metrics;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Apis;

/// <summary>
/// Metric (evaluator) definitions: the data-plane spec's <c>/v1/metrics</c> routes with versions
/// and deploy, and the legacy <c>/metrics</c> routes the SDK 1.0.42 calls. Scoped to the key's
/// project; another project's ids answer 404. Running metrics is not here.
/// </summary>
public static class MetricsApi
{
    public static void MapMetricsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1/metrics");
        v1.MapGet("", ListAsync).RequirePermission(Permissions.MetricsRead);
        v1.MapPost("", CreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        v1.MapPut("", UpdateByBodyAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        v1.MapDelete("", DeleteByQueryAsync).RequirePermission(Permissions.MetricsWrite);
        v1.MapGet("/{metric_id}", GetAsync).RequirePermission(Permissions.MetricsRead);
        v1.MapPut("/{metric_id}", UpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        v1.MapDelete("/{metric_id}", DeleteAsync).RequirePermission(Permissions.MetricsWrite);
        v1.MapGet("/{metric_id}/versions", ListVersionsAsync).RequirePermission(Permissions.MetricsRead);
        v1.MapPost("/{metric_id}/versions", CreateVersionAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        v1.MapGet("/{metric_id}/versions/{version_name}", GetVersionAsync).RequirePermission(Permissions.MetricsRead);
        v1.MapPost("/{metric_id}/versions/{version_name}/deploy", DeployAsync).RequirePermission(Permissions.MetricsWrite);

        var legacy = app.MapGroup("/metrics");
        legacy.MapGet("", LegacyListAsync).RequirePermission(Permissions.MetricsRead);
        legacy.MapPost("", LegacyCreateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        legacy.MapPut("", LegacyUpdateAsync).Accepts<JsonObject>("application/json").RequirePermission(Permissions.MetricsWrite);
        legacy.MapDelete("", DeleteByQueryAsync).RequirePermission(Permissions.MetricsWrite);
    }

    private static readonly HashSet<string> LegacyUpdateFields = [.. MetricDefinition.Fields, "id"];

    private static async Task<Ok<JsonObject>> ListAsync(
        ClaimsPrincipal user, MetricStore store, string? type, string? id, string? limit, CancellationToken cancellationToken)
    {
        var metrics = await ListCoreAsync(user, store, type, id, limit, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["metrics"] = new JsonArray([.. metrics.Select(MetricViews.Item)]) });
    }

    private static async Task<Ok<JsonArray>> LegacyListAsync(ClaimsPrincipal user, MetricStore store, string? type, string? limit, CancellationToken cancellationToken)
    {
        // project_name is the SDK's; the key already names the project.
        var metrics = await ListCoreAsync(user, store, type, null, limit, cancellationToken);
        var project = ProjectName(user);
        return TypedResults.Ok(new JsonArray([.. metrics.Select(m => MetricViews.Legacy(m, project))]));
    }

    private static async Task<IReadOnlyList<StoredMetric>> ListCoreAsync(
        ClaimsPrincipal user, MetricStore store, string? type, string? id, string? limit, CancellationToken cancellationToken)
    {
        var take = ListLimit.Resolve(limit);
        if (type is not null)
        {
            var spec = LegacyMetric.ToSpec(new JsonObject { ["type"] = type }, null)["type"]!.GetValue<string>();
            type = MetricDefinition.Types.Contains(spec) ? spec : throw ApiRequestException.BadRequest("type", $"Must be one of: {string.Join(", ", MetricDefinition.Types)}.");
        }
        Guid? metricId = null;
        if (id is not null)
        {
            if (!Guid.TryParse(id, out var parsed)) return [];
            metricId = parsed;
        }
        return await store.ListAsync(user.ProjectId(), type, metricId, take, cancellationToken);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, CancellationToken cancellationToken)
    {
        var metric = Guid.TryParse(metric_id, out var id) ? await store.GetAsync(user.ProjectId(), id, cancellationToken) : null;
        return metric is null ? ApiResults.NotFound("Metric") : TypedResults.Ok(MetricViews.Item(metric));
    }

    private static async Task<Ok<JsonObject>> CreateAsync(ClaimsPrincipal user, MetricStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, MetricDefinition.Fields, errors);
        var content = MetricDefinition.Normalize(body, errors);
        errors.ThrowIfAny();
        var id = await store.CreateAsync(user.ProjectId(), content, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["inserted"] = true, ["metric_id"] = id.ToString() });
    }

    private static async Task<Ok<JsonObject>> LegacyCreateAsync(ClaimsPrincipal user, MetricStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        var content = MetricDefinition.Normalize(LegacyMetric.ToSpec(body, null), errors);
        errors.ThrowIfAny();
        var id = await store.CreateAsync(user.ProjectId(), content, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["inserted"] = true, ["metric_id"] = id.ToString() });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, MetricDefinition.Fields, errors);
        errors.ThrowIfAny();
        return await UpdateCoreAsync(user, store, metric_id, _ => body, cancellationToken);
    }

    /// <summary>The spec's deprecated PUT /v1/metrics: the id travels in the body.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateByBodyAsync(
        ClaimsPrincipal user, MetricStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, LegacyUpdateFields, errors);
        var id = JsonBody.String(body, "id", "id", errors, required: true, nonBlank: true);
        errors.ThrowIfAny();
        body.Remove("id");
        return await UpdateCoreAsync(user, store, id!, _ => body, cancellationToken);
    }

    /// <summary>The SDK's PUT /metrics (MetricEdit): <c>metric_id</c> in the body, legacy field names.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> LegacyUpdateAsync(
        ClaimsPrincipal user, MetricStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        var id = body.ContainsKey("metric_id")
            ? JsonBody.String(body, "metric_id", "metric_id", errors, nonBlank: true)
            : JsonBody.String(body, "id", "metric_id", errors, required: true, nonBlank: true);
        errors.ThrowIfAny();
        return await UpdateCoreAsync(user, store, id!, current => LegacyMetric.ToSpec(body, current), cancellationToken);
    }

    /// <summary>An edit is a new version built on the deployed one, deployed at once: a classic update is live immediately.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> UpdateCoreAsync(
        ClaimsPrincipal user, MetricStore store, string metricId, Func<JsonObject, JsonObject> changes, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(metricId, out var id)) return ApiResults.NotFound("Metric");
        var version = await store.AddVersionAsync(user.ProjectId(), id, current =>
        {
            var merged = (JsonObject)current.DeepClone();
            foreach (var (key, value) in changes(current)) merged[key] = value?.DeepClone();
            var errors = new FieldErrors();
            var content = MetricDefinition.Normalize(merged, errors);
            errors.ThrowIfAny();
            return content;
        }, "Updated", deploy: true, cancellationToken);
        return version is null ? ApiResults.NotFound("Metric") : TypedResults.Ok(new JsonObject { ["updated"] = true });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, CancellationToken cancellationToken) =>
        Guid.TryParse(metric_id, out var id) && await store.DeleteAsync(user.ProjectId(), id, cancellationToken)
            ? TypedResults.Ok(new JsonObject { ["deleted"] = true })
            : ApiResults.NotFound("Metric");

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeleteByQueryAsync(
        ClaimsPrincipal user, MetricStore store, string? metric_id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(metric_id)) throw ApiRequestException.BadRequest("metric_id", "Required.");
        return await DeleteAsync(user, store, metric_id, cancellationToken);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> ListVersionsAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, string? limit, CancellationToken cancellationToken)
    {
        var take = ListLimit.Resolve(limit);
        var versions = Guid.TryParse(metric_id, out var id) ? await store.ListVersionsAsync(user.ProjectId(), id, take, cancellationToken) : null;
        return versions is null
            ? ApiResults.NotFound("Metric")
            : TypedResults.Ok(new JsonObject { ["success"] = true, ["data"] = new JsonArray([.. versions.Select(MetricViews.Version)]) });
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> GetVersionAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, string version_name, CancellationToken cancellationToken)
    {
        var version = Guid.TryParse(metric_id, out var id) ? await store.GetVersionAsync(user.ProjectId(), id, version_name, cancellationToken) : null;
        return version is null ? ApiResults.NotFound("Metric version") : Success(version);
    }

    /// <summary>POST /v1/metrics/{id}/versions: a full definition snapshot, a draft unless deploy_immediately.</summary>
    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> CreateVersionAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, cancellationToken);
        var errors = new FieldErrors();
        JsonBody.RejectUnknown(body, new HashSet<string> { "message", "content", "deploy_immediately" }, errors);
        var message = JsonBody.String(body, "message", "message", errors, required: true, maxLength: 10_000);
        var deploy = JsonBody.Bool(body, "deploy_immediately", "deploy_immediately", errors) ?? false;
        var given = JsonBody.Object(body, "content", "content", errors);
        if (given is null && body["content"] is null) errors.Add("content", "Required.");
        JsonObject? content = null;
        if (given is not null)
        {
            JsonBody.RejectUnknown(given, MetricDefinition.Fields, errors, "content.");
            content = MetricDefinition.Normalize(given, errors.Under("content."));
        }
        errors.ThrowIfAny();
        if (!Guid.TryParse(metric_id, out var id)) return ApiResults.NotFound("Metric");
        var version = await store.AddVersionAsync(user.ProjectId(), id, _ => content!, message!, deploy, cancellationToken);
        return version is null ? ApiResults.NotFound("Metric") : Success(version);
    }

    private static async Task<Results<Ok<JsonObject>, NotFound<ProblemDetails>>> DeployAsync(
        ClaimsPrincipal user, MetricStore store, string metric_id, string version_name, CancellationToken cancellationToken)
    {
        var version = Guid.TryParse(metric_id, out var id) ? await store.DeployAsync(user.ProjectId(), id, version_name, cancellationToken) : null;
        return version is null ? ApiResults.NotFound("Metric version") : Success(version);
    }

    private static Ok<JsonObject> Success(StoredMetricVersion version) =>
        TypedResults.Ok(new JsonObject { ["success"] = true, ["data"] = MetricViews.Version(version) });

    private static string ProjectName(ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyIdentity.ProjectNameClaim) ?? user.ProjectId().ToString();
}
