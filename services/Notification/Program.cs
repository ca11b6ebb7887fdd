using HoneyHive.Notification;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNotification();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapNotification();
app.Run();
