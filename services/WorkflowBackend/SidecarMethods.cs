using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace HoneyHive.WorkflowBackend;

/// <summary>
/// Binds <see cref="SidecarService"/> to TaskHubSidecarService as the SDK's descriptor names it. Every method of the
/// descriptor is bound: those the backend does not implement answer UNIMPLEMENTED with a message saying so.
/// </summary>
internal sealed class SidecarMethods : IServiceMethodProvider<SidecarService>
{
    public static readonly ServiceDescriptor Service = OrchestratorServiceReflection.Descriptor.Services.Single(s => s.Name == "TaskHubSidecarService");

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<SidecarService> context)
    {
        var bound = new HashSet<string>(StringComparer.Ordinal);
        void Unary<TRequest, TResponse>(string name, MessageParser<TRequest> request, MessageParser<TResponse> response,
            UnaryServerMethod<SidecarService, TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
        {
            context.AddUnaryMethod(Method(MethodType.Unary, name, request, response), [], handler);
            bound.Add(name);
        }

        Unary("Hello", Empty.Parser, Empty.Parser, (s, r, c) => s.HelloAsync(r, c));
        Unary("StartInstance", CreateInstanceRequest.Parser, CreateInstanceResponse.Parser, (s, r, c) => s.StartInstanceAsync(r, c));
        Unary("GetInstance", GetInstanceRequest.Parser, GetInstanceResponse.Parser, (s, r, c) => s.GetInstanceAsync(r, c));
        Unary("WaitForInstanceStart", GetInstanceRequest.Parser, GetInstanceResponse.Parser, (s, r, c) => s.WaitForInstanceStartAsync(r, c));
        Unary("WaitForInstanceCompletion", GetInstanceRequest.Parser, GetInstanceResponse.Parser, (s, r, c) => s.WaitForInstanceCompletionAsync(r, c));
        Unary("RaiseEvent", RaiseEventRequest.Parser, RaiseEventResponse.Parser, (s, r, c) => s.RaiseEventAsync(r, c));
        Unary("TerminateInstance", TerminateRequest.Parser, TerminateResponse.Parser, (s, r, c) => s.TerminateInstanceAsync(r, c));
        Unary("SuspendInstance", SuspendRequest.Parser, SuspendResponse.Parser, (s, r, c) => s.SuspendInstanceAsync(r, c));
        Unary("ResumeInstance", ResumeRequest.Parser, ResumeResponse.Parser, (s, r, c) => s.ResumeInstanceAsync(r, c));
        Unary("PurgeInstances", PurgeInstancesRequest.Parser, PurgeInstancesResponse.Parser, (s, r, c) => s.PurgeInstancesAsync(r, c));
        Unary("CompleteActivityTask", ActivityResponse.Parser, CompleteTaskResponse.Parser, (s, r, c) => s.CompleteActivityTaskAsync(r, c));
        // The SDK still calls the deprecated name (runtimes before 1.18 lack the new one); both commit a turn.
        Unary("CompleteOrchestratorTask", WorkflowResponse.Parser, CompleteTaskResponse.Parser, (s, r, c) => s.CompleteOrchestratorTaskAsync(r, c));
        Unary("CompleteWorkflowTask", WorkflowResponse.Parser, CompleteTaskResponse.Parser, (s, r, c) => s.CompleteOrchestratorTaskAsync(r, c));
        Unary("ListInstanceIDs", ListInstanceIDsRequest.Parser, ListInstanceIDsResponse.Parser, (s, r, c) => s.ListInstanceIdsAsync(r, c));
        Unary("GetInstanceHistory", GetInstanceHistoryRequest.Parser, GetInstanceHistoryResponse.Parser, (s, r, c) => s.GetInstanceHistoryAsync(r, c));
        context.AddServerStreamingMethod(Method(MethodType.ServerStreaming, "GetWorkItems", GetWorkItemsRequest.Parser, WorkItem.Parser), [],
            (s, r, w, c) => s.GetWorkItemsAsync(r, w, c));
        bound.Add("GetWorkItems");

        foreach (var method in Service.Methods.Where(m => !bound.Contains(m.Name) && !m.IsClientStreaming && !m.IsServerStreaming))
        {
            context.AddUnaryMethod(new Method<byte[], byte[]>(MethodType.Unary, Service.FullName, method.Name, RawBytes, RawBytes), [],
                (_, _, _) => throw new RpcException(new Status(StatusCode.Unimplemented,
                    $"The embedded workflow backend does not implement {method.Name}; it needs daprd's workflow engine.")));
        }
    }

    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(b => b, b => b);

    private static Method<TRequest, TResponse> Method<TRequest, TResponse>(MethodType type, string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        if (Service.FindMethodByName(name) is null) throw new InvalidOperationException($"TaskHubSidecarService has no method {name}.");
        return new Method<TRequest, TResponse>(type, Service.FullName, name,
            Marshallers.Create(m => m.ToByteArray(), request.ParseFrom), Marshallers.Create(m => m.ToByteArray(), response.ParseFrom));
    }
}
