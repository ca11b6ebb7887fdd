using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Infrastructure;

namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>
/// What may be stored beside a provider key: a <see cref="ProviderKinds"/> kind, and the settings each kind reads
/// (nothing else, so a typo fails at save instead of being ignored at call time).
/// </summary>
public static class ProviderSecretSettings
{
    /// <summary>The settings object's largest JSON size: a few short strings, never a second secret store.</summary>
    public const int MaxSettingsBytes = 4_096;

    public const int MaxBaseUrlLength = 2_048;

    private static readonly Dictionary<string, string[]> KeysByKind = new(StringComparer.Ordinal)
    {
        [ProviderKinds.Azure] = ["api_version"],
        [ProviderKinds.Bedrock] = ["region"],
        [ProviderKinds.Vertex] = ["project", "location"],
        [ProviderKinds.OpenAi] = ["organization", "project"],
    };

    /// <summary>The setting names <paramref name="kind"/> knows.</summary>
    public static IReadOnlyList<string> KeysOf(string kind) => KeysByKind.TryGetValue(kind, out var keys) ? keys : [];

    /// <summary>Kinds whose calls cannot go anywhere without a base URL of the secret's own.</summary>
    public static bool NeedsBaseUrl(string kind) => kind is ProviderKinds.Azure or ProviderKinds.OpenAiCompatible;

    /// <summary>Records each problem of <paramref name="settings"/> for <paramref name="kind"/> under <c>settings.&lt;key&gt;</c>.</summary>
    public static void Validate(string kind, JsonObject settings, FieldErrors errors)
    {
        if (Encoding.UTF8.GetByteCount(settings.ToJsonString()) > MaxSettingsBytes)
        {
            errors.Add("settings", $"Must be at most {MaxSettingsBytes} bytes of JSON.");
            return;
        }
        var known = KeysOf(kind);
        foreach (var (key, value) in settings)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
                errors.Add($"settings.{key}", known.Count == 0
                    ? $"Unknown setting: provider kind '{kind}' takes no settings."
                    : $"Unknown setting for provider kind '{kind}'; known: {string.Join(", ", known)}.");
            else if (JsonBody.Kind(value) != JsonValueKind.String || string.IsNullOrWhiteSpace(value!.GetValue<string>()))
                errors.Add($"settings.{key}", "Must be a non-empty string.");
        }
    }
}
