using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Lifecycle;

if (args is ["archive", ..]) return await ArchiveCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDataPlaneApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDataPlaneApi();
await app.RunAsync();
return 0;
