namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// Which objects are encrypted, and under whose data key. The rule follows the key layouts the platform writes:
/// <list type="bullet">
/// <item><c>payloads/{project_id}/…</c> (moved inputs and outputs, <c>PayloadReference.KeyFor</c>) and
/// <c>archive/{project_id}/…</c> (Parquet archives): the project's data key, scope <c>projects/{project_id}</c>.</item>
/// <item><c>deadletters/…</c> (the Writer's dead letters, <c>deadletters/events/yyyy/MM/dd/&lt;id&gt;.json</c>): one
/// letter may hold messages of several projects, so they share the scope <c>deadletters</c>.</item>
/// </list>
/// Every other key (none is written today) is stored as given.
/// </summary>
public static class ObjectEncryptionScopes
{
    /// <summary>Where the wrapped data keys live; never encrypted by data keys themselves, hidden from listings.</summary>
    public const string DataKeyPrefix = "datakeys/";

    /// <summary>The scope of a project's payloads and archives.</summary>
    public static string Project(Guid projectId) => $"projects/{projectId:D}";

    /// <summary>The scope of <paramref name="key"/>, or null when it is stored unencrypted.</summary>
    public static string? For(string key)
    {
        if (key.StartsWith(DataKeyPrefix, StringComparison.Ordinal)) return null;
        if (key.StartsWith("deadletters/", StringComparison.Ordinal)) return "deadletters";
        foreach (var prefix in ProjectPrefixes)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = key.AsSpan(prefix.Length);
            var slash = rest.IndexOf('/');
            // A project folder with at least one object below it; the project id is one key segment.
            return slash > 0 ? $"projects/{rest[..slash]}" : null;
        }
        return null;
    }

    private static readonly string[] ProjectPrefixes = ["payloads/", "archive/"];
}
