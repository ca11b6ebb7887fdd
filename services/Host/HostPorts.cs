namespace HoneyHive.Host;

/// <summary>
/// Host patterns ("*:8080") of the single node's Kestrel endpoints, read from configuration so a
/// route group answers only on the port of the API it belongs to.
/// </summary>
internal sealed record HostPorts(string DataPlaneApi, string ControlPlaneApi, string OtlpGrpc, string OtlpHttp, string ControllerGrpc, string WorkflowGrpc)
{
    public static HostPorts From(IConfiguration configuration) => new(
        Pattern(configuration, "DataPlaneApi"),
        Pattern(configuration, "ControlPlaneApi"),
        Pattern(configuration, "OtlpGrpc"),
        Pattern(configuration, "OtlpHttp"),
        Pattern(configuration, "ControllerGrpc"),
        Pattern(configuration, "WorkflowGrpc"));

    /// <summary>
    /// The data plane reads the CP's public keys over HTTP even in one process (from the CP's own port unless
    /// <c>Auth:Tokens:JwksUrl</c> says otherwise), so it verifies tokens exactly as a separate data plane does.
    /// </summary>
    public static void DefaultJwksUrl(IConfiguration configuration)
    {
        const string key = "Auth:Tokens:JwksUrl";
        if (!string.IsNullOrWhiteSpace(configuration[key])) return;
        var url = configuration["Kestrel:Endpoints:ControlPlaneApi:Url"]
            ?? throw new InvalidOperationException("Kestrel:Endpoints:ControlPlaneApi:Url is not configured.");
        // A wildcard binding ("http://*:8081", "http://+:8081") is reached on loopback.
        var bound = new Uri(url.Replace("*", "127.0.0.1", StringComparison.Ordinal).Replace("+", "127.0.0.1", StringComparison.Ordinal));
        configuration[key] = new UriBuilder(bound.Scheme, bound.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : bound.Host, bound.Port, "/.well-known/jwks.json").Uri.ToString();
    }

    private static string Pattern(IConfiguration configuration, string endpoint)
    {
        var url = configuration[$"Kestrel:Endpoints:{endpoint}:Url"]
            ?? throw new InvalidOperationException($"Kestrel:Endpoints:{endpoint}:Url is not configured.");
        return $"*:{new Uri(url.Replace("*", "localhost", StringComparison.Ordinal)).Port}";
    }
}

internal static class HostControlPlane
{
    /// <summary>
    /// The data plane forwards the legacy project routes to the control plane (<c>ControlPlane:ApiUrl</c>); in the
    /// single node that is this process's own CP port, unless configured otherwise.
    /// </summary>
    public static WebApplicationBuilder UseOwnControlPlane(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["ControlPlane:ApiUrl"])
            && builder.Configuration["Kestrel:Endpoints:ControlPlaneApi:Url"] is { Length: > 0 } url)
        {
            var listening = new Uri(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal));
            var host = listening.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : listening.Host;
            builder.Configuration["ControlPlane:ApiUrl"] = new UriBuilder(listening.Scheme, host, listening.Port).Uri.ToString();
        }
        return builder;
    }
}
