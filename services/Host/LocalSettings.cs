using Microsoft.Extensions.Configuration.Json;

namespace HoneyHive.Host;

/// <summary>
/// The machine's own settings file (<c>./hh up</c> writes <c>.data/appsettings.Local.json</c>: server
/// ports, database passwords, the chDB library), named by <c>HH_LOCAL_SETTINGS</c>. It sits right
/// after appsettings.json and appsettings.{Environment}.json, so environment variables and the
/// command line still override it.
/// </summary>
internal static class LocalSettings
{
    public const string Variable = "HH_LOCAL_SETTINGS";

    public static WebApplicationBuilder AddLocalSettings(this WebApplicationBuilder builder)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path) return builder;
        // Not optional: a file that was named but is missing would start the Host on the wrong servers.
        var source = new JsonConfigurationSource { Path = Path.GetFullPath(path), Optional = false, ReloadOnChange = false };
        source.ResolveFileProvider();
        var sources = builder.Configuration.Sources;
        var index = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource) index = i + 1;
        }
        sources.Insert(index, source);
        return builder;
    }
}
