using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>An AWS access key (with its session token when temporary). Never printed: <see cref="ToString"/> names the key id only.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    public override string ToString() => $"AWS key {AccessKeyId}";
}

/// <summary>Where and as whom one Bedrock call goes: the credentials from the secret, the signing region, the endpoint.</summary>
public sealed partial record BedrockTarget(AwsCredentials Credentials, string Region, string Endpoint)
{
    public const string DefaultRegion = "us-east-1";

    public static BedrockTarget For(ProviderCall call)
    {
        var region = call.Credential.Settings["region"] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : RegionOf(call.BaseUrl) ?? DefaultRegion;
        // The region becomes a host name: anything but a region's shape could point the call elsewhere.
        if (!RegionShape().IsMatch(region))
            throw Misconfigured(call, $"its region setting '{region}' is not an AWS region name (like us-east-1)");
        return new BedrockTarget(Parse(call), region, call.BaseUrl ?? $"https://bedrock-runtime.{region}.amazonaws.com");
    }

    /// <summary>
    /// The secret is JSON <c>{"access_key_id", "secret_access_key", "session_token"?}</c> or <c>AKID:SECRET</c>. A secret
    /// of neither shape is the workspace administrator's to fix; the message says how and never quotes the secret.
    /// </summary>
    public static AwsCredentials Parse(ProviderCall call)
    {
        var secret = call.Credential.Secret.Trim();
        if (secret.StartsWith('{'))
        {
            JsonObject? json;
            try
            {
                json = JsonNode.Parse(secret) as JsonObject;
            }
            catch (JsonException)
            {
                json = null;
            }
            var keyId = Field(json, "access_key_id");
            var secretKey = Field(json, "secret_access_key");
            if (keyId is not null && secretKey is not null) return new AwsCredentials(keyId, secretKey, Field(json, "session_token"));
        }
        else
        {
            var colon = secret.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < secret.Length - 1 && !secret.AsSpan(colon + 1).Contains(':'))
                return new AwsCredentials(secret[..colon], secret[(colon + 1)..], null);
        }
        throw Misconfigured(call, "its secret is not an AWS access key");
    }

    /// <summary>The region a regional Bedrock endpoint names (bedrock-runtime[-fips].REGION.amazonaws.com), when the settings name none.</summary>
    private static string? RegionOf(string? baseUrl)
    {
        if (baseUrl is null || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var url)) return null;
        var labels = url.Host.Split('.');
        return labels.Length >= 4 && labels[0] is ("bedrock-runtime" or "bedrock-runtime-fips") && labels[2] == "amazonaws" ? labels[1] : null;
    }

    private static string? Field(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Trim().Length > 0 ? text.Trim() : null;

    private static OpenAiErrorException Misconfigured(ProviderCall call, string why) => new(500, "api_error",
        $"The workspace's {call.Credential.Provider} key cannot be used: {why}. An administrator must store it again as JSON "
        + "{\"access_key_id\": \"AKIA...\", \"secret_access_key\": \"...\", \"session_token\": \"...\" (temporary keys only)} or as AKID:SECRET, "
        + "with the region in its settings.", "provider_misconfigured", retryable: false);

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex RegionShape();
}
