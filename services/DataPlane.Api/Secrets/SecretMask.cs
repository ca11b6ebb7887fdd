namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>
/// What reads show of a secret: a well-known, non-secret vendor prefix and at most the last 4
/// characters, and only for values long enough that 4 characters reveal little.
/// </summary>
public static class SecretMask
{
    public const int RevealFrom = 16;

    // Prefixes every key of the vendor shares; showing them tells which kind of key it is.
    private static readonly string[] KnownPrefixes = ["sk-ant-", "sk-proj-", "sk-", "AIza", "gsk_", "hf_", "xai-", "AKIA"];

    public static string Mask(string value)
    {
        if (value.Length < RevealFrom) return "****";
        var prefix = KnownPrefixes.FirstOrDefault(p => value.StartsWith(p, StringComparison.Ordinal)) ?? "";
        return prefix + "..." + value[^4..];
    }
}
