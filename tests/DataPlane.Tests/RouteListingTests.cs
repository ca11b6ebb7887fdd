using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests;

/// <summary>The test-only route listing (Diagnostics:ListRoutes) the tenancy matrix reads: off unless configured.</summary>
[Trait("Servers", "None")]
public sealed class RouteListingTests
{
    [Fact]
    public async Task The_listing_is_not_mapped_by_default()
    {
        await using var app = await StartAsync(listRoutes: null);
        using var client = app.GetTestClient();

        using var response = await client.GetAsync(new Uri(RouteListing.Path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_listing_is_not_mapped_when_set_to_false()
    {
        await using var app = await StartAsync(listRoutes: "false");
        using var client = app.GetTestClient();

        using var response = await client.GetAsync(new Uri(RouteListing.Path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task When_enabled_it_lists_every_endpoint_with_its_methods_and_hosts()
    {
        await using var app = await StartAsync(listRoutes: "true");
        using var client = app.GetTestClient();

        var routes = JsonNode.Parse(await client.GetStringAsync(new Uri(RouteListing.Path, UriKind.Relative)))!.AsArray();

        var probe = Assert.Single(routes, r => r!["pattern"]!.GetValue<string>() == "/things/{thing_id}");
        Assert.Equal(["DELETE"], probe!["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(["*:1234"], probe["hosts"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Contains(routes, r => r!["pattern"]!.GetValue<string>() == RouteListing.Path);
    }

    private static async Task<WebApplication> StartAsync(string? listRoutes)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (listRoutes is not null) builder.Configuration[RouteListing.EnabledKey] = listRoutes;
        var app = builder.Build();
        app.MapDelete("/things/{thing_id}", (string thing_id) => TypedResults.Ok(thing_id)).RequireHost("*:1234");
        app.MapRouteListing(app.Configuration);
        await app.StartAsync();
        return app;
    }
}
