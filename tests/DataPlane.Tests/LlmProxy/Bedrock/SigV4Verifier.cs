using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HoneyHive.DataPlane.Tests.LlmProxy.Bedrock;

/// <summary>
/// Checks a request's SigV4 signature the way AWS does, written from AWS's signing documentation and independent of
/// the code under test: the canonical request from the raw request line (each path segment encoded once more, as
/// every service but S3 expects), the signed headers as received, the body's SHA-256; the string to sign; the key
/// derived from the known secret for the scope's date, region and service; the HMAC compared with the one sent.
/// </summary>
public sealed class SigV4Verifier(IReadOnlyDictionary<string, (string Secret, string? SessionToken)> keys, string region, string service)
{
    public sealed record Verdict(bool Valid, string? ErrorType, string Message, string? AccessKeyId, IReadOnlyList<string> SignedHeaders);

    public Verdict Verify(HttpContext context, byte[] body)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        const string Algorithm = "AWS4-HMAC-SHA256";
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
            return Fail("MissingAuthenticationTokenException", "Missing Authentication Token");
        var fields = authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaderList)
            || !fields.TryGetValue("Signature", out var signature))
            return Fail("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature.");

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request") return Fail("IncompleteSignatureException", "Credential scope is malformed.");
        var (keyId, date, scopeRegion, scopeService) = (scope[0], scope[1], scope[2], scope[3]);
        if (!keys.TryGetValue(keyId, out var key)) return Fail("UnrecognizedClientException", "The security token included in the request is invalid.", keyId);
        var signedHeaders = signedHeaderList.Split(';');
        if (scopeRegion != region || scopeService != service)
            return Fail("InvalidSignatureException", $"Credential should be scoped to a valid region and service ({region}/{service}), not {scopeRegion}/{scopeService}.", keyId, signedHeaders);

        var amzDate = context.Request.Headers["x-amz-date"].ToString();
        if (amzDate.Length != 16 || !amzDate.StartsWith(date, StringComparison.Ordinal))
            return Fail("IncompleteSignatureException", "x-amz-date is missing or does not match the credential scope's date.", keyId, signedHeaders);
        if (!signedHeaders.Contains("host") || !signedHeaders.Contains("x-amz-date"))
            return Fail("InvalidSignatureException", "host and x-amz-date must be signed.", keyId, signedHeaders);
        if (key.SessionToken is { } token)
        {
            if (context.Request.Headers["x-amz-security-token"].ToString() != token)
                return Fail("UnrecognizedClientException", "The security token included in the request is invalid.", keyId, signedHeaders);
            if (!signedHeaders.Contains("x-amz-security-token"))
                return Fail("InvalidSignatureException", "x-amz-security-token must be signed.", keyId, signedHeaders);
        }

        var bodyHash = Hex(SHA256.HashData(body));
        if (context.Request.Headers.TryGetValue("x-amz-content-sha256", out var declared) && declared.ToString() != bodyHash)
            return Fail("InvalidSignatureException", "x-amz-content-sha256 is not the body's hash.", keyId, signedHeaders);

        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question >= 0 ? rawTarget[..question] : rawTarget;
        var canonical = new StringBuilder()
            .Append(context.Request.Method).Append('\n')
            .Append(string.Join('/', rawPath.Split('/').Select(Encode))).Append('\n')
            .Append(question >= 0 ? CanonicalQuery(rawTarget[(question + 1)..]) : "").Append('\n');
        foreach (var name in signedHeaders)
        {
            var value = context.Request.Headers[name].ToString();
            canonical.Append(name).Append(':').Append(string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaderList).Append('\n').Append(bodyHash);

        var stringToSign = $"{Algorithm}\n{amzDate}\n{date}/{region}/{service}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + key.Secret), date), region), service), "aws4_request");
        var expected = Hex(Hmac(signingKey, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? new Verdict(true, null, "", keyId, signedHeaders)
            : Fail("InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
                keyId, signedHeaders);
    }

    /// <summary>RFC 3986 encoding as SigV4 defines it: unreserved characters kept, every other byte %XX in upper case.</summary>
    public static string Encode(string segment)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(segment))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static string CanonicalQuery(string query) => string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2)).Select(kv => (Encode(Uri.UnescapeDataString(kv[0])), Encode(Uri.UnescapeDataString(kv.Length > 1 ? kv[1] : ""))))
        .OrderBy(kv => kv.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Item2, StringComparer.Ordinal).Select(kv => $"{kv.Item1}={kv.Item2}"));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static Verdict Fail(string type, string message, string? keyId = null, IReadOnlyList<string>? signed = null) =>
        new(false, type, message, keyId, signed ?? []);
}
