using HoneyHive.Ingestion;
using HoneyHive.Platform.Messaging.JetStream;

// Kubernetes init container (deploy/k8s): create the JetStream streams Dapr's pubsub component expects.
if (args is [ProvisionStreamsCommand.Name, ..]) return await ProvisionStreamsCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngestion();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIngestion();
await app.RunAsync();
return 0;
