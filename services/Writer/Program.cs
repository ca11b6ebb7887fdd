using HoneyHive.Writer;
using HoneyHive.Writer.DeadLetters;

if (args is ["dlq", ..]) return await DeadLetterCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWriter();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapWriter();
await app.RunAsync();
return 0;
