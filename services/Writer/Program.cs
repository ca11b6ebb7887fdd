using HoneyHive.Writer;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWriter();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapWriter();
app.Run();
