namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>Reads <c>Authorization: Bearer &lt;key&gt;</c> the same way for every entry point (REST, OTLP HTTP, gRPC).</summary>
public static class BearerToken
{
    /// <summary>Longest key considered; anything longer is refused without a lookup.</summary>
    public const int MaxLength = 512;

    /// <summary>Longest access token (JWT) considered: its grants make it longer than a key, but never this long.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>False when the header is absent or not a Bearer header; <paramref name="key"/> may then be empty or too long.</summary>
    public static bool TryRead(string? authorization, out string key)
    {
        key = "";
        if (string.IsNullOrWhiteSpace(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        key = authorization["Bearer ".Length..].Trim();
        return true;
    }

    /// <summary>A key worth looking up: not empty and not over <see cref="MaxLength"/>.</summary>
    public static bool IsPlausible(string key) => key.Length is > 0 and <= MaxLength;
}
