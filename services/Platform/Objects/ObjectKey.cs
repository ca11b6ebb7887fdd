using System.Text;

namespace HoneyHive.Platform.Objects;

/// <summary>
/// The one rule for object keys, shared by every <see cref="IObjectStore"/>: relative paths with
/// <c>/</c> separators that cannot leave the store's root on a filesystem and mean the same on S3.
/// </summary>
public static class ObjectKey
{
    /// <summary>S3's limit on a key, in UTF-8 bytes.</summary>
    public const int MaxUtf8Bytes = 1024;

    /// <summary>Throw <see cref="ArgumentException"/> unless <paramref name="key"/> is a safe object key.</summary>
    public static void Validate(string key, string paramName = "key")
    {
        ArgumentNullException.ThrowIfNull(key, paramName);
        if (key.Length == 0) throw new ArgumentException("An object key must not be empty.", paramName);
        CheckCharacters(key, paramName);
        if (key[0] == '/') throw new ArgumentException($"Object key '{key}' is absolute; keys are relative paths.", paramName);
        foreach (var segment in key.Split('/')) CheckSegment(key, segment, paramName);
    }

    /// <summary>
    /// Throw unless <paramref name="prefix"/> is a safe listing prefix: empty (everything), or the start
    /// of a key (it may end with <c>/</c> or in the middle of a segment).
    /// </summary>
    public static void ValidatePrefix(string prefix, string paramName = "prefix")
    {
        ArgumentNullException.ThrowIfNull(prefix, paramName);
        if (prefix.Length == 0) return;
        CheckCharacters(prefix, paramName);
        if (prefix[0] == '/') throw new ArgumentException($"Prefix '{prefix}' is absolute; keys are relative paths.", paramName);
        var segments = prefix.Split('/');
        // The last piece is a partial segment (or empty after a trailing '/'); only whole segments must be proper.
        for (var i = 0; i < segments.Length - 1; i++) CheckSegment(prefix, segments[i], paramName);
        var last = segments[^1];
        if (last is "..") throw new ArgumentException($"Prefix '{prefix}' climbs out of the store with '..'.", paramName);
    }

    private static void CheckCharacters(string value, string paramName)
    {
        foreach (var c in value)
        {
            if (c == '\\') throw new ArgumentException($"Object key '{value}' contains a backslash; use '/'.", paramName);
            // NUL truncates paths in native calls; other control characters cannot travel in S3's XML listings.
            if (char.IsControl(c)) throw new ArgumentException("Object key contains a control character.", paramName);
        }
        if (Encoding.UTF8.GetByteCount(value) > MaxUtf8Bytes)
            throw new ArgumentException($"Object key is longer than {MaxUtf8Bytes} UTF-8 bytes.", paramName);
    }

    private static void CheckSegment(string value, string segment, string paramName)
    {
        if (segment.Length == 0) throw new ArgumentException($"Object key '{value}' has an empty segment.", paramName);
        if (segment is "." or "..") throw new ArgumentException($"Object key '{value}' contains a '{segment}' segment.", paramName);
    }
}
