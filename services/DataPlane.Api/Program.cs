using HoneyHive.DataPlane.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDataPlaneApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDataPlaneApi();
app.Run();
