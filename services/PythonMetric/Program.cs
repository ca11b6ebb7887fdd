using HoneyHive.PythonMetric;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddPythonMetric();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapPythonMetric();
app.Run();
