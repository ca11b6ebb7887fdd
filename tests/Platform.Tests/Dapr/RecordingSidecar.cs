using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace HoneyHive.Platform.Tests.Dapr;

/// <summary>
/// Records every call and keeps state the way Dapr's state API specifies it: an ETag per key that
/// changes on every write; a write carrying a stale ETag is refused with <c>Aborted</c>, as daprd does.
/// </summary>
public sealed class RecordingSidecar : DaprSidecarService
{
    private readonly ConcurrentDictionary<string, (ByteString Value, long Version)> state = new();

    public ConcurrentQueue<Autogen.PublishEventRequest> Published { get; } = new();
    public ConcurrentQueue<(string Method, Autogen.BulkPublishRequest Request)> BulkPublished { get; } = new();
    public ConcurrentQueue<Autogen.GetStateRequest> Gets { get; } = new();
    public ConcurrentQueue<Autogen.SaveStateRequest> Saves { get; } = new();
    public ConcurrentQueue<Autogen.DeleteStateRequest> Deletes { get; } = new();

    /// <summary>Saves refused for a stale ETag (each of them an error daprd would count against the store's circuit breaker).</summary>
    public ConcurrentQueue<Autogen.SaveStateRequest> Refused { get; } = new();

    /// <summary>When set, pub/sub calls fail with this status (the broker behind the sidecar is down).</summary>
    public StatusCode? PublishFailure { get; set; }

    /// <summary>Entry ids the bulk publish reports as failed.</summary>
    public HashSet<string> FailedBulkEntries { get; } = [];

    public override Task<Empty> PublishEvent(Autogen.PublishEventRequest request, ServerCallContext context)
    {
        Published.Enqueue(request);
        ThrowIfPublishFails();
        return Task.FromResult(new Empty());
    }

    public override Task<Autogen.BulkPublishResponse> BulkPublishEventAlpha1(Autogen.BulkPublishRequest request, ServerCallContext context) =>
        Bulk(nameof(BulkPublishEventAlpha1), request);

    public override Task<Autogen.BulkPublishResponse> BulkPublishEvent(Autogen.BulkPublishRequest request, ServerCallContext context) =>
        Bulk(nameof(BulkPublishEvent), request);

    public override Task<Autogen.GetStateResponse> GetState(Autogen.GetStateRequest request, ServerCallContext context)
    {
        Gets.Enqueue(request);
        var response = new Autogen.GetStateResponse();
        if (state.TryGetValue(Key(request.StoreName, request.Key), out var entry))
        {
            response.Data = entry.Value;
            response.Etag = EtagOf(entry.Version);
        }

        return Task.FromResult(response);
    }

    public override Task<Empty> SaveState(Autogen.SaveStateRequest request, ServerCallContext context)
    {
        Saves.Enqueue(request);
        foreach (var item in request.States)
        {
            var key = Key(request.StoreName, item.Key);
            var checkEtag = item.Options?.Concurrency == Autogen.StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite && item.Etag is not null;
            lock (state)
            {
                state.TryGetValue(key, out var current);
                if (checkEtag && item.Etag!.Value != EtagOf(current.Version))
                {
                    Refused.Enqueue(request);
                    throw new RpcException(new Status(StatusCode.Aborted, $"failed saving state in state store {request.StoreName}: possible etag mismatch"));
                }

                state[key] = (item.Value, current.Version + 1);
            }
        }

        return Task.FromResult(new Empty());
    }

    public override Task<Empty> DeleteState(Autogen.DeleteStateRequest request, ServerCallContext context)
    {
        Deletes.Enqueue(request);
        state.TryRemove(Key(request.StoreName, request.Key), out _);
        return Task.FromResult(new Empty());
    }

    private Task<Autogen.BulkPublishResponse> Bulk(string method, Autogen.BulkPublishRequest request)
    {
        BulkPublished.Enqueue((method, request));
        ThrowIfPublishFails();
        var response = new Autogen.BulkPublishResponse();
        foreach (var entry in request.Entries.Where(e => FailedBulkEntries.Contains(e.EntryId)))
        {
            response.FailedEntries.Add(new Autogen.BulkPublishResponseFailedEntry { EntryId = entry.EntryId, Error = "broker refused" });
        }

        return Task.FromResult(response);
    }

    private void ThrowIfPublishFails()
    {
        if (PublishFailure is { } code) throw new RpcException(new Status(code, "pubsub unavailable"));
    }

    // Both state components use the literal keyPrefix "honeyhive" over one Redis (components/statestore.yaml),
    // so a key is the same key through either of them.
    private static string Key(string store, string key) =>
        store is HoneyHive.Contracts.Components.StateStore or HoneyHive.Contracts.Components.StateStoreConditional ? $"honeyhive||{key}" : $"{store}||{key}";

    private static string EtagOf(long version) => version == 0 ? string.Empty : version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
