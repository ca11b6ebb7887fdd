using HoneyHive.ControlPlane.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddControlPlaneApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapControlPlaneApi();
app.Run();
