using HoneyHive.Evaluation;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEvaluation();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapEvaluation();
app.Run();
