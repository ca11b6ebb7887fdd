using System.Text.RegularExpressions;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// Route classes are named one way: every file of a service that maps HTTP routes is <c>XxxApi.cs</c>.
/// Platform and ServiceDefaults map infrastructure endpoints only (Dapr delivery, test faults, the route
/// listing) and are not service APIs.
/// </summary>
public sealed partial class RouteClassNamingTests
{
    [Fact]
    public void Every_service_file_that_maps_routes_is_named_Api()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "HoneyHive.sln")))
            directory = directory.Parent ?? throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
        var services = Path.Combine(directory.FullName, "services");
        var mapping = Directory.EnumerateFiles(services, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(services, f))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)
                && !f.StartsWith("Platform/", StringComparison.Ordinal) && !f.StartsWith("ServiceDefaults/", StringComparison.Ordinal))
            .Where(f => MapsRoutes().IsMatch(File.ReadAllText(Path.Combine(services, f))))
            .ToList();

        Assert.Contains("Ingestion/Events/EventApi.cs", mapping);
        Assert.DoesNotContain(mapping, f => !f.EndsWith("Api.cs", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\.Map(Get|Post|Put|Delete|Patch|Methods)\(")]
    private static partial Regex MapsRoutes();
}
