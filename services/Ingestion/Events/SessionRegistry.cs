using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;
using HoneyHive.Ingestion.Publishing;
using HoneyHive.Platform.State;

namespace HoneyHive.Ingestion.Events;

/// <summary>The state store could not be reached or kept changing under us; the client should retry.</summary>
public sealed class SessionStateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Makes session start idempotent on session_id, as HoneyHive's is: the first start stores the session
/// event under <c>session:&lt;project&gt;:&lt;session_id&gt;</c>; a repeat merges its metadata and
/// user_properties into the stored one (the repeat's keys win) and bumps <see cref="EventRecord.Revision"/>,
/// so the re-published session replaces the earlier row in the Writer's ReplacingMergeTree.
/// </summary>
/// <remarks>
/// Merges run as an ETag compare-and-set loop, so concurrent repeats never lose each other's keys.
/// The very first write of a session is unconditional (the store has no create-only write): two
/// starts of the same new session racing in the same millisecond may keep only the later one's
/// metadata. Entries do not expire (the state store has no TTL).
/// </remarks>
public sealed class SessionRegistry(IStateStore state, ILogger<SessionRegistry> logger)
{
    private const int MaxAttempts = 16;

    public static string Key(string projectId, string sessionId) => $"session:{projectId}:{sessionId}";

    /// <summary>The session to publish and return, and whether it existed before.</summary>
    public async Task<(EventRecord Session, bool Existed)> StartAsync(EventRecord incoming, CancellationToken cancellationToken)
    {
        var key = Key(incoming.ProjectId, incoming.SessionId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            StateEntry entry;
            try
            {
                entry = await state.GetAsync(key, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new SessionStateUnavailableException("The session store is unreachable.", ex);
            }

            var existed = entry.Value is not null;
            var session = existed ? Merge(Read(entry.Value!), incoming) : incoming;
            bool saved;
            try
            {
                saved = await state.TrySaveAsync(key, JsonSerializer.SerializeToUtf8Bytes(session, EventRecordJsonContext.Default.EventRecord), entry.ETag, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new SessionStateUnavailableException("The session store is unreachable.", ex);
            }
            if (saved) return (session, existed);
            logger.LogDebug("Session {SessionId} changed during merge attempt {Attempt}; retrying", incoming.SessionId, attempt);
        }
        throw new SessionStateUnavailableException($"Session {incoming.SessionId} is being updated too often to merge; retry.");
    }

    /// <summary>The stored session with the repeat's metadata and user_properties keys on top, one revision later.</summary>
    public static EventRecord Merge(EventRecord stored, EventRecord repeat)
    {
        MergeKeys(stored.Metadata, repeat.Metadata);
        MergeKeys(stored.UserProperties, repeat.UserProperties);
        stored.Revision++;
        return stored;
    }

    private static void MergeKeys(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source) target[key] = value?.DeepClone();
    }

    private static EventRecord Read(byte[] json) =>
        JsonSerializer.Deserialize(json, EventRecordJsonContext.Default.EventRecord)
        ?? throw new SessionStateUnavailableException("A stored session could not be read.");
}
