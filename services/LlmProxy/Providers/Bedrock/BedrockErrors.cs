using HoneyHive.LlmProxy.OpenAi;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// Bedrock's errors by their type (the <c>x-amzn-ErrorType</c> header of an error answer, or a stream's
/// <c>:exception-type</c>) rather than by status alone: ModelNotReady comes as 429 but is a model still loading
/// (503), and the signature and key failures all say which part of the credential to fix.
/// </summary>
public static class BedrockErrors
{
    public static async Task<OpenAiErrorException> FromResponseAsync(HttpResponseMessage response, string provider, CancellationToken cancellationToken)
    {
        // The generic reading keeps the body's {message} and the retry-after; the type then decides the status.
        var generic = await UpstreamErrors.FromResponseAsync(response, provider, cancellationToken);
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        var message = generic.Message.StartsWith(provider + ": ", StringComparison.Ordinal) ? generic.Message[(provider.Length + 2)..] : generic.Message;
        return FromType(Name(type), (int)response.StatusCode, provider, message, generic.RetryAfter);
    }

    /// <summary>An exception event in the middle of a ConverseStream.</summary>
    public static OpenAiErrorException FromStreamException(string? type, string provider, string message) =>
        FromType(Name(type), 500, provider, message, null);

    /// <summary>The error for <paramref name="type"/> (ThrottlingException or throttlingException alike), else by the status.</summary>
    public static OpenAiErrorException FromType(string? type, int status, string provider, string message, TimeSpan? retryAfter)
    {
        (int Status, bool Retryable, string? Hint) rule = (type?.ToLowerInvariant()) switch
        {
            "throttlingexception" => (429, true, null),
            "servicequotaexceededexception" => (429, false, null),
            "serviceunavailableexception" or "modelnotreadyexception" => (503, true, null),
            "internalserverexception" => (502, true, null),
            "modeltimeoutexception" => (504, true, null),
            "modelerrorexception" or "modelstreamerrorexception" => (502, false, null),
            "validationexception" => (400, false, null),
            "resourcenotfoundexception" => (404, false, null),
            "accessdeniedexception" => (403, false, "the key's IAM policy must allow bedrock:InvokeModel (and InvokeModelWithResponseStream) on this model"),
            "invalidsignatureexception" or "signaturedoesnotmatchexception" => (403, false, "the secret_access_key does not match the access_key_id"),
            "unrecognizedclientexception" or "invalidclienttokenidexception" => (403, false, "the access_key_id or session_token is not valid"),
            "expiredtokenexception" => (403, false, "the session_token has expired: store fresh temporary keys"),
            _ => (0, false, null),
        };
        var (mapped, retryable, hint) = rule;
        if (mapped == 0) return UpstreamErrors.FromStatus(status, provider, message, code: type, retryAfter: retryAfter);
        var text = hint is null ? $"{provider}: {message}" : $"{provider}: {message} ({hint}).";
        return new OpenAiErrorException(mapped, OpenAiErrorException.TypeOf(mapped), text, type, retryAfter: retryAfter, retryable: retryable);
    }

    /// <summary>AWS sends the type as <c>Name</c> or <c>Name:namespace-url</c>, and the JSON protocol as <c>namespace#Name</c>.</summary>
    private static string? Name(string? type)
    {
        if (string.IsNullOrWhiteSpace(type)) return null;
        var name = type.Split(':')[0];
        var hash = name.LastIndexOf('#');
        return (hash >= 0 ? name[(hash + 1)..] : name).Trim();
    }
}
