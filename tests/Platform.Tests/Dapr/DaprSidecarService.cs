using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// The few methods of Dapr's runtime API (<c>dapr.proto.runtime.v1.Dapr</c>) our adapters call, bound by
/// hand the way protoc's C# gRPC plugin would, with the message types of <c>Dapr.Protos</c> (which ships
/// the client and messages but no server base class). Same package, service and method names, same
/// messages: what DaprClient sends here is byte for byte what daprd would receive.
/// </summary>
[BindServiceMethod(typeof(DaprSidecarService), nameof(BindService))]
public abstract class DaprSidecarService
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public virtual Task<Empty> PublishEvent(Autogen.PublishEventRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(PublishEvent)));

    public virtual Task<Autogen.BulkPublishResponse> BulkPublishEventAlpha1(Autogen.BulkPublishRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(BulkPublishEventAlpha1)));

    public virtual Task<Autogen.BulkPublishResponse> BulkPublishEvent(Autogen.BulkPublishRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(BulkPublishEvent)));

    public virtual Task<Autogen.GetStateResponse> GetState(Autogen.GetStateRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(GetState)));

    public virtual Task<Empty> SaveState(Autogen.SaveStateRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(SaveState)));

    public virtual Task<Empty> DeleteState(Autogen.DeleteStateRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, nameof(DeleteState)));

    public static void BindService(ServiceBinderBase binder, DaprSidecarService? service)
    {
        binder.AddMethod(Unary<Autogen.PublishEventRequest, Empty>(nameof(PublishEvent)), service is null ? null : service.PublishEvent);
        binder.AddMethod(Unary<Autogen.BulkPublishRequest, Autogen.BulkPublishResponse>(nameof(BulkPublishEventAlpha1)), service is null ? null : service.BulkPublishEventAlpha1);
        binder.AddMethod(Unary<Autogen.BulkPublishRequest, Autogen.BulkPublishResponse>(nameof(BulkPublishEvent)), service is null ? null : service.BulkPublishEvent);
        binder.AddMethod(Unary<Autogen.GetStateRequest, Autogen.GetStateResponse>(nameof(GetState)), service is null ? null : service.GetState);
        binder.AddMethod(Unary<Autogen.SaveStateRequest, Empty>(nameof(SaveState)), service is null ? null : service.SaveState);
        binder.AddMethod(Unary<Autogen.DeleteStateRequest, Empty>(nameof(DeleteState)), service is null ? null : service.DeleteState);
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, ServiceName, name, MarshallerOf<TRequest>(), MarshallerOf<TResponse>());

    private static Marshaller<T> MarshallerOf<T>() where T : class, IMessage<T>, new() =>
        Marshallers.Create(m => m.ToByteArray(), bytes => new MessageParser<T>(() => new T()).ParseFrom(bytes));
}
