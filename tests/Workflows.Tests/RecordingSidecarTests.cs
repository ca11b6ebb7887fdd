using System.Collections.Concurrent;
using Dapr.Workflow;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using HoneyHive.WorkflowBackend;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.Workflows.Tests;

/// <summary>
/// Distributed mode: the SDK configured as in a Dapr app (Hosting:Mode=Dapr, DAPR_GRPC_ENDPOINT in its configuration)
/// talks to a separate sidecar; here the backend wrapped in an interceptor that records what it is asked.
/// </summary>
[Collection(WorkflowCollection.Name)]
public sealed class RecordingSidecarTests(WorkflowDatabase database)
{
    [Fact]
    public async Task In_dapr_mode_the_sdk_calls_only_methods_of_the_sidecar_service_with_their_declared_request_types()
    {
        var hub = "d" + Guid.NewGuid().ToString("N")[..12];
        var recorder = new CallRecorder();
        var port = EngineHost.FreePort();
        var sidecarBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        sidecarBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:dpdb"] = database.ConnectionString,
            ["Kestrel:Endpoints:Sidecar:Url"] = $"http://127.0.0.1:{port}",
            ["Kestrel:Endpoints:Sidecar:Protocols"] = "Http2",
            ["WorkflowBackend:TaskHub"] = hub,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        sidecarBuilder.Services.AddSingleton(recorder);
        sidecarBuilder.AddWorkflowBackend();
        sidecarBuilder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<RecordingInterceptor>());
        await using var sidecar = sidecarBuilder.Build();
        sidecar.MapWorkflowBackend();
        await sidecar.StartAsync();

        var appBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        appBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hosting:Mode"] = "Dapr",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        appBuilder.Services.AddSingleton(new ActivityGate());
        appBuilder.AddWorkflowEngine(TestWorkflows.Register);
        using var app = appBuilder.Build();
        await app.StartAsync();
        try
        {
            var client = app.Services.GetRequiredService<DaprWorkflowClient>();
            var id = await client.ScheduleNewWorkflowAsync(nameof(SequentialWorkflow), "dapr-" + hub, "sidecar");
            var state = await EngineHost.CompletedAsync(client, id);
            Assert.Equal("SIDECAR!", state.ReadOutputAs<string>());
        }
        finally
        {
            await app.StopAsync();
            await sidecar.StopAsync();
        }

        var service = SidecarMethods.Service;
        var calls = recorder.Calls.ToList();
        Assert.NotEmpty(calls);
        foreach (var (method, requestType) in calls)
        {
            Assert.StartsWith($"/{service.FullName}/", method);
            var declared = service.FindMethodByName(method[(service.FullName.Length + 2)..]);
            Assert.True(declared is not null, $"{method} is not a TaskHubSidecarService method");
            Assert.Equal(declared.InputType.FullName, requestType);
        }
        var names = calls.Select(c => c.Method[(service.FullName.Length + 2)..]).ToHashSet();
        Assert.Contains("StartInstance", names);
        Assert.Contains("GetWorkItems", names);
        Assert.Contains("CompleteActivityTask", names);
        Assert.True(names.Contains("CompleteOrchestratorTask") || names.Contains("CompleteWorkflowTask"), string.Join(", ", names));
    }

    public sealed class CallRecorder
    {
        public ConcurrentQueue<(string Method, string RequestType)> Calls { get; } = new();

        public void Record(ServerCallContext context, object request) =>
            Calls.Enqueue((context.Method, request is IMessage message ? message.Descriptor.FullName : request.GetType().FullName!));
    }

    public sealed class RecordingInterceptor(CallRecorder recorder) : Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
            UnaryServerMethod<TRequest, TResponse> continuation)
        {
            recorder.Record(context, request);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
            ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            recorder.Record(context, request);
            return continuation(request, responseStream, context);
        }
    }
}
