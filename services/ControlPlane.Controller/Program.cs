using HoneyHive.ControlPlane.Controller;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddControlPlaneController();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapControlPlaneController();
app.Run();
