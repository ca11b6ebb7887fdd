using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.ControlPlane.Api.Http;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Accounts;

/// <summary>
/// Reads the small JSON bodies of the sign-in routes field by field, so every refusal names its field, and refuses
/// unknown fields (a typo or an attempt to set something the route does not take).
/// </summary>
internal sealed class AuthBody
{
    // Credentials and tokens only: a few kilobytes at most. Bigger bodies are refused before parsing.
    private const int MaxBytes = 16 * 1024;

    private readonly JsonObject body;
    private readonly Dictionary<string, string[]> errors = new(StringComparer.Ordinal);

    private AuthBody(JsonObject body) => this.body = body;

    /// <summary>The body (an empty object when there is none, for routes whose fields are all optional), unknown fields refused.</summary>
    public static async Task<AuthBody> ReadAsync(HttpRequest request, IReadOnlyCollection<string> allowed, CancellationToken cancellationToken)
    {
        var reader = new AuthBody(await RequestBody.ReadObjectAsync(request, MaxBytes, allowEmpty: true, cancellationToken));
        foreach (var (key, _) in reader.body)
        {
            if (!allowed.Contains(key)) reader.errors[key] = [$"Unknown field; this route takes {string.Join(", ", allowed)}."];
        }
        return reader;
    }

    /// <summary>A string field; records an error when it is missing (if required), not a string, or too long.</summary>
    public string? String(string field, bool required, int maxLength)
    {
        var node = body[field];
        if (node is null)
        {
            if (required) errors[field] = [$"{field} is required."];
            return null;
        }
        if (node.GetValueKind() != JsonValueKind.String)
        {
            errors[field] = [$"{field} must be a string."];
            return null;
        }
        var value = node.GetValue<string>();
        if (required && value.Length == 0) errors[field] = [$"{field} is required."];
        else if (value.Length > maxLength) errors[field] = [$"{field} must be at most {maxLength} characters."];
        return value;
    }

    public bool Bool(string field)
    {
        var node = body[field];
        if (node is null) return false;
        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return node.GetValue<bool>();
        errors[field] = [$"{field} must be true or false."];
        return false;
    }

    /// <summary>Throws one 400 naming every field found wrong.</summary>
    public void ThrowIfInvalid()
    {
        if (errors.Count > 0) throw new ApiRequestException(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
    }
}
