using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// The Host whose data plane syncs from a CP controller running as its own process (over the Host's cpdb, with the CP
/// identity key the Host's own controller pinned), so a test can SIGKILL the control plane's end of the stream while the
/// data plane runs on.
/// </summary>
public sealed class SeparateControlPlaneHost : HostProcess
{
    private Process? controller;
    private readonly StringBuilder controllerOutput = new();

    public override async Task InitializeAsync()
    {
        // First start: the Host's own controller gives the DP its snapshot and pins the CP key.
        await base.InitializeAsync();
        await StopAsync();
        var url = $"http://127.0.0.1:{FreePort()}";
        ExtraEnvironment["Controller__ControlPlaneUrl"] = url;
        StartController(url);
        await StartAsync();
    }

    public string ControllerOutput { get { lock (controllerOutput) return controllerOutput.ToString(); } }

    public async Task KillControllerAsync()
    {
        if (controller is null || controller.HasExited) return;
        controller.Kill();
        await controller.WaitForExitAsync();
    }

    public override async Task DisposeAsync()
    {
        await KillControllerAsync();
        controller?.Dispose();
        await base.DisposeAsync();
    }

    private void StartController(string url)
    {
        var configuration = typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "HoneyHive.sln"))) repo = Path.GetDirectoryName(repo.TrimEnd('/'))!;
        var dll = Path.Combine(repo, "services", "ControlPlane.Controller", "bin", configuration, "net10.0", "HoneyHive.ControlPlane.Controller.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(Path.GetDirectoryName(dll)!);
        start.Environment["ConnectionStrings__cpdb"] = CpdbConnectionString;
        start.Environment["Kestrel__Endpoints__Grpc__Url"] = url;
        start.Environment["Kestrel__Endpoints__Grpc__Protocols"] = "Http2";
        // The key the Host's own controller created in its working folder: the DP pinned it.
        start.Environment["Controller__Sync__IdentityKeyPath"] = Path.Combine(WorkingDirectory, ".data", "cp-controller-identity.pem");
        controller = Process.Start(start) ?? throw new InvalidOperationException("Could not start the CP controller.");
        controller.OutputDataReceived += (_, e) => { lock (controllerOutput) controllerOutput.AppendLine(e.Data); };
        controller.ErrorDataReceived += (_, e) => { lock (controllerOutput) controllerOutput.AppendLine(e.Data); };
        controller.BeginOutputReadLine();
        controller.BeginErrorReadLine();
    }
}

public sealed class ControlPlaneDownTests(SeparateControlPlaneHost host) : IClassFixture<SeparateControlPlaneHost>
{
    [Fact]
    public async Task With_the_control_planes_controller_killed_ingestion_and_the_data_plane_api_keep_working_with_a_synced_key()
    {
        using var api = host.Client(host.DataPlaneApi, host.ApiKey);
        // The DP is registered with the separate controller (it answered with an identity document).
        await Eventually.TrueAsync(() => host.ControllerOutput.Contains("connected at sync version", StringComparison.Ordinal),
            $"the DP to connect to the separate CP controller\n{host.ControllerOutput}");

        await host.KillControllerAsync();

        var marker = Guid.NewGuid().ToString();
        // The client sends again what back-pressure refuses (HostProcess.Client): the restarted Writer may still be catching up.
        using (var ingest = await api.PostAsync(new Uri("/v1/events/batch", UriKind.Relative), new StringContent(
            $$$"""{"events":[{"event_type":"tool","event_name":"while the CP is down","inputs":{"question":"q"},"metadata":{"marker":"{{{marker}}}"}}]}""", Encoding.UTF8, "application/json")))
        {
            Assert.True(ingest.StatusCode == HttpStatusCode.OK, $"{(int)ingest.StatusCode}: {await ingest.Content.ReadAsStringAsync()}");
        }
        var found = await Eventually.ValueAsync(async () =>
        {
            using var search = await api.PostAsJsonAsync(new Uri("/v1/events/search", UriKind.Relative), new
            {
                filters = new[] { new { field = "metadata.marker", @operator = "is", value = marker, type = "string" } },
                limit = 10,
            });
            if (search.StatusCode != HttpStatusCode.OK) return -(int)search.StatusCode;
            return JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement.GetProperty("events").GetArrayLength();
        }, n => n == 1, "the event ingested while the CP is down to be stored and readable through the DP API");
        Assert.Equal(1, found);

        using var projects = await api.GetAsync(new Uri("/v1/projects", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, projects.StatusCode);
    }
}
