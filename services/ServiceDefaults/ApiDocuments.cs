using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The OpenAPI document each HTTP API publishes at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi).
/// The single-node Host runs the DP and CP APIs in one process, so each has a document of its own,
/// holding only the endpoints its module marks with <see cref="RoutingEndpointConventionBuilderExtensions.WithGroupName{TBuilder}"/>,
/// and serves it on its own port under the same path the standalone service uses.
/// </summary>
public static class ApiDocuments
{
    public const string Path = "/openapi/v1.json";
    public const string DataPlane = "dataplane";
    public const string ControlPlane = "controlplane";

    public static IHostApplicationBuilder AddApiDocument(this IHostApplicationBuilder builder, string name)
    {
        builder.Services.AddOpenApi(name, options => options.ShouldInclude = description => description.GroupName == name);
        return builder;
    }

    /// <summary>Maps <see cref="Path"/> to the document <paramref name="name"/>; it is public, like the reference specs it mirrors.</summary>
    public static IEndpointConventionBuilder MapApiDocument(this IEndpointRouteBuilder app, string name) =>
        app.MapGet(Path, async (HttpContext context) =>
        {
            var provider = context.RequestServices.GetRequiredKeyedService<IOpenApiDocumentProvider>(name);
            var document = await provider.GetOpenApiDocumentAsync(context.RequestAborted);
            var json = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, context.RequestAborted);
            return TypedResults.Text(json, "application/json; charset=utf-8");
        }).ExcludeFromDescription().AllowAnonymous();
}
