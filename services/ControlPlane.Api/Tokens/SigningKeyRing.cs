using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.ControlPlane.Api.Tokens;

/// <summary>
/// The control plane's signing keys in memory: which key signs now, and which public keys verify (the
/// <see cref="ISigningKeySource"/> of the CP's own <see cref="AccessTokenValidator"/>, and the JWKS). Re-reads cpdb
/// every <see cref="SigningKeyOptions.RefreshInterval"/>, when the signing key has retired, and (rate-limited) when a
/// token names a kid it has not loaded, so a key another instance created is found without a restart.
/// </summary>
public sealed class SigningKeyRing(SigningKeyStore store, TimeProvider clock, IOptions<SigningKeyOptions> options, ILogger<SigningKeyRing> logger)
    : ISigningKeySource
{
    private sealed record Entry(StoredSigningKey Stored, ECDsaSecurityKey PublicKey);

    private sealed record Snapshot(IReadOnlyDictionary<string, Entry> Keys, DateTimeOffset LoadedAt);

    private readonly SemaphoreSlim reload = new(1, 1);
    private readonly ConcurrentDictionary<string, ECDsaSecurityKey> privateKeys = new(StringComparer.Ordinal);
    private volatile Snapshot? snapshot;
    private long lastUnknownReloadTicks = long.MinValue;

    public async ValueTask<SecurityKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var current = await SnapshotAsync(now, cancellationToken);
        if (!current.Keys.ContainsKey(keyId) && TakeUnknownReload(now)) current = await ReloadAsync(now, cancellationToken);
        return current.Keys.TryGetValue(keyId, out var entry) && now.UtcDateTime < entry.Stored.ExpiresAt ? entry.PublicKey : null;
    }

    /// <summary>The key that signs now (its private part opened), rotating first when the current one has retired.</summary>
    public async Task<ECDsaSecurityKey> SigningKeyAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            var active = Active(await SnapshotAsync(now, cancellationToken), now);
            if (active is null)
            {
                await store.EnsureActiveAsync(now, cancellationToken);
                active = Active(await ReloadAsync(now, cancellationToken), now)
                    ?? throw new InvalidOperationException("No signing key is active after rotation.");
            }
            if (privateKeys.TryGetValue(active.Stored.Kid, out var cached)) return cached;
            try
            {
                var key = new ECDsaSecurityKey(store.OpenPrivateKey(active.Stored)) { KeyId = active.Stored.Kid };
                return privateKeys.GetOrAdd(active.Stored.Kid, key);
            }
            catch (CryptographicException ex) when (attempt == 0)
            {
                // Sealed under a master key no longer configured, or altered: it cannot sign, so a new key takes over now.
                logger.LogError(ex, "Signing key {Kid} cannot be opened; retiring it and creating a new one", active.Stored.Kid);
                await store.RetireAsync(active.Stored.Kid, now, cancellationToken);
                snapshot = null;
            }
        }
    }

    /// <summary>The public keys published at /.well-known/jwks.json: every key that signed and has not expired, newest first.</summary>
    public async Task<IReadOnlyList<JsonObject>> PublishedAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var current = await SnapshotAsync(now, cancellationToken);
        return [.. current.Keys.Values
            .Where(e => e.Stored.CreatedAt <= now.UtcDateTime && now.UtcDateTime < e.Stored.ExpiresAt)
            .OrderByDescending(e => e.Stored.CreatedAt)
            .Select(e => JsonNode.Parse(e.Stored.PublicJwk)!.AsObject())];
    }

    /// <summary>Rotates when due and re-reads the table (at start and every refresh interval).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await store.EnsureActiveAsync(now, cancellationToken);
        await ReloadAsync(now, cancellationToken);
    }

    private static Entry? Active(Snapshot current, DateTimeOffset now) =>
        current.Keys.Values
            .Where(e => e.Stored.CreatedAt <= now.UtcDateTime && now.UtcDateTime < e.Stored.RetiresAt)
            .MaxBy(e => e.Stored.CreatedAt);

    private async ValueTask<Snapshot> SnapshotAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = snapshot;
        if (current is not null && now >= current.LoadedAt && now - current.LoadedAt < options.Value.RefreshInterval) return current;
        return await ReloadAsync(now, cancellationToken);
    }

    private async Task<Snapshot> ReloadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await reload.WaitAsync(cancellationToken);
        try
        {
            var previous = snapshot;
            var rows = await store.LoadAsync(now, cancellationToken);
            var keys = rows.ToDictionary(
                r => r.Kid,
                r => previous is not null && previous.Keys.TryGetValue(r.Kid, out var known)
                    ? known with { Stored = r }
                    : new Entry(r, SigningKeyStore.PublicKeyOf(r.Kid, r.PublicJwk)),
                StringComparer.Ordinal);
            foreach (var gone in privateKeys.Keys.Where(k => !keys.ContainsKey(k))) privateKeys.TryRemove(gone, out _);
            var loaded = new Snapshot(keys, now);
            snapshot = loaded;
            return loaded;
        }
        finally
        {
            reload.Release();
        }
    }

    private bool TakeUnknownReload(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref lastUnknownReloadTicks);
        if (last != long.MinValue && now.UtcTicks - last < options.Value.UnknownKeyReloadInterval.Ticks && now.UtcTicks >= last) return false;
        return Interlocked.CompareExchange(ref lastUnknownReloadTicks, now.UtcTicks, last) == last;
    }
}

/// <summary>Makes sure a signing key exists before the CP serves (after cpdb is migrated), then rotates when due.</summary>
internal sealed class SigningKeyMaintenance(SigningKeyRing ring, IOptions<SigningKeyOptions> options, TimeProvider clock, ILogger<SigningKeyMaintenance> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ring.RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // cpdb briefly unavailable: the loaded keys keep working; the next tick tries again.
                logger.LogWarning(ex, "Signing key refresh failed; retrying in {Interval}", options.Value.RefreshInterval);
            }
        }
    }
}
