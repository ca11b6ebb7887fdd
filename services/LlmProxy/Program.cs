using HoneyHive.LlmProxy;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLlmProxy();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapLlmProxy();
app.Run();
