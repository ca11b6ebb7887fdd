using Dapr.Client;
using HoneyHive.Contracts;

namespace HoneyHive.Platform.State;

/// <summary>
/// <see cref="IStateStore"/> over the Dapr sidecar's state API (component <c>statestore</c>, state.redis).
/// A write with an ETag uses first-write concurrency, because with last-write the store ignores the
/// ETag; an ETag mismatch comes back from the sidecar as <c>Aborted</c>, which the SDK turns into false.
/// Conditional writes go to <see cref="Components.StateStoreConditional"/> (same Redis, same keys): daprd
/// counts every error of a state call, a lost race included, against the component's circuit breaker,
/// and that component's resiliency target has none, while reads and plain writes keep theirs.
/// </summary>
public sealed class DaprStateStore(DaprClient dapr) : IStateStore
{
    public async Task<StateEntry> GetAsync(string key, CancellationToken cancellationToken)
    {
        var (value, etag) = await dapr.GetByteStateAndETagAsync(
            Components.StateStore, key, ConsistencyMode.Strong, cancellationToken: cancellationToken);

        // The sidecar answers an absent key with no data and no ETag.
        return string.IsNullOrEmpty(etag) && value.IsEmpty
            ? new StateEntry(key, null, null)
            : new StateEntry(key, value.ToArray(), string.IsNullOrEmpty(etag) ? null : etag);
    }

    public async Task<bool> TrySaveAsync(string key, ReadOnlyMemory<byte> value, string? etag, CancellationToken cancellationToken)
    {
        if (etag is null)
        {
            await dapr.SaveByteStateAsync(
                Components.StateStore,
                key,
                value,
                new StateOptions { Concurrency = ConcurrencyMode.LastWrite, Consistency = ConsistencyMode.Strong },
                cancellationToken: cancellationToken);
            return true;
        }

        return await dapr.TrySaveByteStateAsync(
            Components.StateStoreConditional,
            key,
            value,
            etag,
            new StateOptions { Concurrency = ConcurrencyMode.FirstWrite, Consistency = ConsistencyMode.Strong },
            cancellationToken: cancellationToken);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        dapr.DeleteStateAsync(Components.StateStore, key, cancellationToken: cancellationToken);
}
