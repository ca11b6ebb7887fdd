using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using HoneyHive.DataPlane.Api.Infrastructure;
using HoneyHive.Platform.Security.Outbound;
using Npgsql;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>A secret as reads show it: never the value, only its mask and what is stored beside it.</summary>
public sealed record ProviderSecretInfo(
    string Provider, string Masked, string? Kind, string? BaseUrl, JsonObject Settings, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>What a PUT stores: the value (always: a base URL never changes without the key being given again) and what goes with it.</summary>
public sealed record ProviderSecretInput(string Value, string? Kind = null, string? BaseUrl = null, JsonObject? Settings = null);

public sealed record RotationResult(int Rewrapped, int Unreadable, string KeyId);

/// <summary>
/// Provider API keys per workspace in dpdb, sealed by <see cref="EnvelopeCipher"/> and bound to their kind, base URL
/// and settings. Listing and masked reads never decrypt; only <see cref="GetAsync"/> and
/// <see cref="GetCredentialAsync"/> (server-side callers) do. Values never reach a log line or a response.
/// </summary>
public sealed partial class ProviderSecretStore(
    [FromKeyedServices(DataPlaneApiModule.Database)] NpgsqlDataSource dpdb,
    EnvelopeCipher cipher,
    OutboundGuard guard,
    ILogger<ProviderSecretStore> logger) : IProviderSecrets
{
    public const int MaxValueLength = 16_384;
    private const int RotationBatch = 100;

    /// <summary>
    /// How long a sealed row is reused: the proxy reads the credential on every call, and a few seconds of reuse
    /// take a query off each one. Only the sealed row is kept (the value is opened per call, never held); this
    /// process's writes drop it at once, another replica's show within this time.
    /// </summary>
    private static readonly TimeSpan SealedRowLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many entries the cache is emptied: names that are not stored must not grow it without end.</summary>
    private const int MaxCachedRows = 10_000;

    private readonly ConcurrentDictionary<(Guid Workspace, string Provider), (SealedRow? Row, long Expires)> sealedRows = new();

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex ProviderPattern();

    /// <summary>What a provider name must be, for messages that refuse one.</summary>
    public const string ProviderRule = "1-64 characters: letters, digits, '_', '-' or '.', starting with a letter or digit";

    /// <summary>Provider names are case-insensitive ("OpenAI" is "openai").</summary>
    public static string NormalizeProvider(string provider) =>
        TryNormalizeProvider(provider) ?? throw ApiRequestException.BadRequest("provider", $"Must be {ProviderRule}.");

    /// <summary>The name in its stored form, or null when it is not a valid provider name.</summary>
    public static string? TryNormalizeProvider(string provider)
    {
        var normalized = provider.Trim().ToLowerInvariant();
        return ProviderPattern().IsMatch(normalized) ? normalized : null;
    }

    public Task<ProviderSecretInfo> PutAsync(Guid workspace, string provider, string value, CancellationToken cancellationToken) =>
        PutAsync(workspace, provider, new ProviderSecretInput(value), cancellationToken);

    /// <summary>Stores a key with its kind, base URL (checked by the SSRF guard) and settings, replacing any before it.</summary>
    /// <exception cref="ApiRequestException">400 naming the field at fault.</exception>
    public async Task<ProviderSecretInfo> PutAsync(Guid workspace, string provider, ProviderSecretInput input, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        var (value, binding) = await ValidateAsync(provider, input, cancellationToken);
        var sealedSecret = cipher.Seal(value, workspace, provider, binding);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<InfoRow>(new CommandDefinition(
            $"""
            INSERT INTO provider_secrets (workspace_id, provider, ciphertext, nonce, tag, wrapped_key, key_nonce, key_tag, kek_id, masked, kind, base_url, settings)
            VALUES (@workspace, @provider, @Ciphertext, @Nonce, @Tag, @WrappedKey, @KeyNonce, @KeyTag, @KekId, @masked, @kind, @baseUrl, @settings::jsonb)
            ON CONFLICT (workspace_id, provider) DO UPDATE SET
                ciphertext = excluded.ciphertext, nonce = excluded.nonce, tag = excluded.tag, wrapped_key = excluded.wrapped_key,
                key_nonce = excluded.key_nonce, key_tag = excluded.key_tag, kek_id = excluded.kek_id, masked = excluded.masked,
                kind = excluded.kind, base_url = excluded.base_url, settings = excluded.settings, updated_at = now()
            RETURNING {InfoColumns}
            """,
            new
            {
                workspace, provider, sealedSecret.Ciphertext, sealedSecret.Nonce, sealedSecret.Tag, sealedSecret.WrappedKey,
                sealedSecret.KeyNonce, sealedSecret.KeyTag, sealedSecret.KekId, masked = SecretMask.Mask(value),
                kind = binding.Kind, baseUrl = binding.BaseUrl, settings = JsonSerializer.Serialize(binding.Settings),
            },
            cancellationToken: cancellationToken));
        sealedRows.TryRemove((workspace, provider), out _);
        logger.LogInformation("Stored the {Provider} secret of workspace {Workspace} under master key {KeyId}", provider, workspace, sealedSecret.KekId);
        return row.ToInfo();
    }

    private async Task<(string Value, SecretBinding Binding)> ValidateAsync(string provider, ProviderSecretInput input, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(input.Value)) errors.Add("value", "Must not be empty.");
        else if (input.Value.Length > MaxValueLength) errors.Add("value", $"Must be at most {MaxValueLength} characters.");
        if (input.Kind is not null && !ProviderKinds.All.Contains(input.Kind))
            errors.Add("kind", $"Must be one of: {string.Join(", ", ProviderKinds.All)}.");
        var kind = input.Kind ?? ProviderKinds.ImpliedBy(provider);
        // A key under a name that implies no kind (mistral, groq) stays storable for server-side readers by name, as
        // before kinds existed; the proxy refuses it until a kind is stored. A base URL or settings mean nothing
        // without a kind, so with those it is required.
        if (kind is null && (input.BaseUrl is not null || input.Settings is not null))
            errors.Add("kind", $"Required with base_url or settings: the name '{provider}' implies no provider kind; give one of: {string.Join(", ", ProviderKinds.All)}.");
        string? baseUrl = null;
        if (input.BaseUrl is { } rawUrl)
        {
            if (rawUrl.Length > ProviderSecretSettings.MaxBaseUrlLength) errors.Add("base_url", $"Must be at most {ProviderSecretSettings.MaxBaseUrlLength} characters.");
            else if (!Uri.TryCreate(rawUrl.Trim(), UriKind.Absolute, out var url)) errors.Add("base_url", "Must be an absolute http or https URL.");
            else
            {
                try
                {
                    await guard.CheckUrlAsync(url, cancellationToken);
                    baseUrl = url.AbsoluteUri;
                }
                catch (OutboundAddressRefusedException refused)
                {
                    errors.Add("base_url", refused.Message);
                }
            }
        }
        else if (kind is not null && ProviderSecretSettings.NeedsBaseUrl(kind))
            errors.Add("base_url", $"Required for provider kind '{kind}': the server's URL (https://<resource>.openai.azure.com, http://host:11434/v1).");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (input.Settings is { } given && kind is not null)
        {
            ProviderSecretSettings.Validate(kind, given, errors);
            foreach (var (key, value) in given)
                if (value is JsonValue text && text.TryGetValue<string>(out var setting)) settings[key] = setting;
        }
        errors.ThrowIfAny();
        // A kind the name implies is not stored, so the row keeps the original binding when nothing else is given.
        var storedKind = input.Kind is not null && input.Kind != ProviderKinds.ImpliedBy(provider) ? input.Kind : null;
        return (input.Value, new SecretBinding(storedKind, baseUrl, settings));
    }

    public async Task<IReadOnlyList<ProviderSecretInfo>> ListAsync(Guid workspace, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<InfoRow>(new CommandDefinition(
            $"SELECT {InfoColumns} FROM provider_secrets WHERE workspace_id = @workspace ORDER BY provider LIMIT @limit",
            new { workspace, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<ProviderSecretInfo?> GetInfoAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InfoRow>(new CommandDefinition(
            $"SELECT {InfoColumns} FROM provider_secrets WHERE workspace_id = @workspace AND provider = @provider",
            new { workspace, provider }, cancellationToken: cancellationToken));
        return row?.ToInfo();
    }

    public async Task<bool> DeleteAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM provider_secrets WHERE workspace_id = @workspace AND provider = @provider",
            new { workspace, provider }, cancellationToken: cancellationToken)) > 0;
        sealedRows.TryRemove((workspace, provider), out _);
        if (deleted) logger.LogInformation("Deleted the {Provider} secret of workspace {Workspace}", provider, workspace);
        return deleted;
    }

    public async Task<string?> GetAsync(Guid workspace, string provider, CancellationToken cancellationToken) =>
        (await GetCredentialAsync(workspace, provider, cancellationToken))?.Secret;

    public async Task<ProviderCredential?> GetCredentialAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        provider = NormalizeProvider(provider);
        var row = await SealedRowAsync(workspace, provider, cancellationToken);
        if (row is null) return null;
        var settings = row.SettingsMap();
        string secret;
        try
        {
            secret = cipher.Open(row.ToSealed(), workspace, provider, new SecretBinding(row.Kind, row.BaseUrl, settings));
        }
        catch (CryptographicException e)
        {
            logger.LogError("The {Provider} secret of workspace {Workspace} (master key {KeyId}) does not decrypt", provider, workspace, row.KekId);
            throw new ProviderSecretException(
                $"The {provider} secret of workspace {workspace} cannot be decrypted: its master key {row.KekId} is not configured, or the row was altered or moved.", e);
        }
        // A fresh settings object per call: callers get a tree of their own, never the cached one.
        var settingsObject = new JsonObject();
        foreach (var (key, value) in settings) settingsObject[key] = value;
        return new ProviderCredential(provider, row.Kind, row.BaseUrl, settingsObject, secret);
    }

    private async Task<SealedRow?> SealedRowAsync(Guid workspace, string provider, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (sealedRows.TryGetValue((workspace, provider), out var cached) && cached.Expires > now) return cached.Row;
        await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SealedRow>(new CommandDefinition(
            SealedSelect + " WHERE workspace_id = @workspace AND provider = @provider",
            new { workspace, provider }, cancellationToken: cancellationToken));
        if (sealedRows.Count >= MaxCachedRows) sealedRows.Clear();
        sealedRows[(workspace, provider)] = (row, now + (long)SealedRowLifetime.TotalMilliseconds);
        return row;
    }

    /// <summary>
    /// Re-wraps the data keys of every secret (of one workspace, or all when null) that is not under
    /// the current master key yet; values are not re-encrypted. Rows under an unknown key are counted, left alone.
    /// </summary>
    public async Task<RotationResult> RotateAsync(Guid? workspace, CancellationToken cancellationToken)
    {
        var current = cipher.Ring.CurrentId;
        var readable = cipher.Ring.KnownIds.Where(id => id != current).ToArray();
        var rewrapped = 0;
        while (true)
        {
            await using var connection = await dpdb.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var batch = (await connection.QueryAsync<SealedRow>(new CommandDefinition(
                SealedSelect + """
                 WHERE kek_id = ANY(@readable) AND (@workspace::uuid IS NULL OR workspace_id = @workspace)
                ORDER BY workspace_id, provider LIMIT @limit FOR UPDATE SKIP LOCKED
                """,
                new { readable, workspace, limit = RotationBatch }, transaction, cancellationToken: cancellationToken))).ToList();
            if (batch.Count == 0) break;
            foreach (var row in batch)
            {
                var fresh = cipher.Rewrap(row.ToSealed(), row.WorkspaceId, row.Provider);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    UPDATE provider_secrets SET wrapped_key = @WrappedKey, key_nonce = @KeyNonce, key_tag = @KeyTag, kek_id = @KekId
                    WHERE workspace_id = @workspace AND provider = @provider
                    """,
                    new { fresh.WrappedKey, fresh.KeyNonce, fresh.KeyTag, fresh.KekId, workspace = row.WorkspaceId, provider = row.Provider },
                    transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
            foreach (var row in batch) sealedRows.TryRemove((row.WorkspaceId, row.Provider), out _);
            rewrapped += batch.Count;
        }

        await using var count = await dpdb.OpenConnectionAsync(cancellationToken);
        var known = cipher.Ring.KnownIds.ToArray();
        var unreadable = await count.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM provider_secrets WHERE NOT (kek_id = ANY(@known)) AND (@workspace::uuid IS NULL OR workspace_id = @workspace)",
            new { known, workspace }, cancellationToken: cancellationToken));
        logger.LogInformation(
            "Re-wrapped {Rewrapped} provider secret data keys under master key {KeyId}; {Unreadable} are under keys not configured",
            rewrapped, current, unreadable);
        return new RotationResult(rewrapped, unreadable, current);
    }

    private const string SealedSelect =
        """
        SELECT workspace_id AS WorkspaceId, provider AS Provider, ciphertext AS Ciphertext, nonce AS Nonce, tag AS Tag,
               wrapped_key AS WrappedKey, key_nonce AS KeyNonce, key_tag AS KeyTag, kek_id AS KekId,
               kind AS Kind, base_url AS BaseUrl, settings::text AS Settings
        FROM provider_secrets
        """;

    private const string InfoColumns =
        "provider AS Provider, masked AS Masked, kind AS Kind, base_url AS BaseUrl, settings::text AS Settings, created_at AS CreatedAt, updated_at AS UpdatedAt";

    private sealed class InfoRow
    {
        public string Provider { get; set; } = "";
        public string Masked { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }
        public string? Kind { get; set; }
        public string? BaseUrl { get; set; }
        public string Settings { get; set; } = "{}";

        // The kind shown is the one calls use: stored, else implied by the name.
        public ProviderSecretInfo ToInfo() => new(Provider, Masked, Kind ?? ProviderKinds.ImpliedBy(Provider), BaseUrl,
            JsonNode.Parse(Settings) as JsonObject ?? [], CreatedAt, UpdatedAt);
    }

    private sealed class SealedRow
    {
        public Guid WorkspaceId { get; set; }
        public string Provider { get; set; } = "";
        public byte[] Ciphertext { get; set; } = [];
        public byte[] Nonce { get; set; } = [];
        public byte[] Tag { get; set; } = [];
        public byte[] WrappedKey { get; set; } = [];
        public byte[] KeyNonce { get; set; } = [];
        public byte[] KeyTag { get; set; } = [];
        public string KekId { get; set; } = "";
        public string? Kind { get; set; }
        public string? BaseUrl { get; set; }
        public string Settings { get; set; } = "{}";

        /// <summary>The settings as the binding reads them: string values only (what a PUT stores).</summary>
        public Dictionary<string, string> SettingsMap()
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (JsonNode.Parse(Settings) is JsonObject settings)
                foreach (var (key, value) in settings) map[key] = value is JsonValue text && text.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null";
            return map;
        }

        public SealedSecret ToSealed() => new(Ciphertext, Nonce, Tag, WrappedKey, KeyNonce, KeyTag, KekId);
    }
}
