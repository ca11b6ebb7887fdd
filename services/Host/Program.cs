using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Controller;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Controller;
using HoneyHive.Evaluation;
using HoneyHive.Host;
using HoneyHive.Ingestion;
using HoneyHive.LlmProxy;
using HoneyHive.Notification;
using HoneyHive.Platform.Faults;
using HoneyHive.PythonMetric;
using HoneyHive.WorkflowBackend;
using HoneyHive.Writer;

// Single-node mode: every module in one process; each API answers only on its own port.
var builder = WebApplication.CreateBuilder(args).AddLocalSettings();
// Defaults first: with TLS configured they turn the endpoints to https, which the derived URLs below follow.
builder.AddServiceDefaults();
builder.UseOwnControlPlane();
HostPorts.DefaultJwksUrl(builder.Configuration);
builder.AddControlPlaneApi().AddControlPlaneController().AddIngestion().AddWriter().AddDataPlaneApi()
    .AddDataPlaneController().AddEvaluation().AddPythonMetric().AddLlmProxy().AddNotification();
// Test-only fault switch for ./hh chaos: nothing is registered or mapped unless Faults:Enabled is true.
builder.AddTestFaults();

var app = builder.Build();
var ports = HostPorts.From(app.Configuration);
app.MapDefaultEndpoints();
app.MapControlPlaneApi().RequireHost(ports.ControlPlaneApi);
app.MapControlPlaneController().RequireHost(ports.ControllerGrpc);
app.MapDataPlaneApi().RequireHost(ports.DataPlaneApi);
app.MapDataPlaneController().RequireHost(ports.DataPlaneApi);
app.MapIngestion().RequireHost(ports.DataPlaneApi, ports.OtlpHttp, ports.OtlpGrpc);
app.MapWriter();
app.MapEvaluation().RequireHost(ports.DataPlaneApi);
app.MapWorkflowBackend().RequireHost(ports.WorkflowGrpc);
app.MapPythonMetric().RequireHost(ports.DataPlaneApi);
app.MapLlmProxy().RequireHost(ports.DataPlaneApi);
app.MapNotification().RequireHost(ports.ControlPlaneApi);
app.MapTestFaults()?.RequireHost(ports.DataPlaneApi);
app.Run();
