using HoneyHive.DataPlane.Controller;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDataPlaneController();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDataPlaneController();
app.Run();
