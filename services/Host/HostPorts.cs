namespace HoneyHive.Host;

/// <summary>
/// Host patterns ("*:8080") of the single node's Kestrel endpoints, read from configuration so a
/// route group answers only on the port of the API it belongs to.
/// </summary>
internal sealed record HostPorts(string DataPlaneApi, string ControlPlaneApi, string OtlpGrpc, string OtlpHttp, string ControllerGrpc)
{
    public static HostPorts From(IConfiguration configuration) => new(
        Pattern(configuration, "DataPlaneApi"),
        Pattern(configuration, "ControlPlaneApi"),
        Pattern(configuration, "OtlpGrpc"),
        Pattern(configuration, "OtlpHttp"),
        Pattern(configuration, "ControllerGrpc"));

    private static string Pattern(IConfiguration configuration, string endpoint)
    {
        var url = configuration[$"Kestrel:Endpoints:{endpoint}:Url"]
            ?? throw new InvalidOperationException($"Kestrel:Endpoints:{endpoint}:Url is not configured.");
        return $"*:{new Uri(url.Replace("*", "localhost", StringComparison.Ordinal)).Port}";
    }
}
