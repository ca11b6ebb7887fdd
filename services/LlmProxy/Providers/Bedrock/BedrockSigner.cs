using System.Net.Http.Headers;
using Amazon.Runtime.Internal.Auth;
using Amazon.Util;

namespace HoneyHive.LlmProxy.Providers.Bedrock;

/// <summary>
/// Builds a Bedrock Runtime request signed with SigV4 by AWSSDK.Core's <see cref="AWS4Signer"/>. Its request-level
/// entry point (<c>SignRequest</c>) needs an <c>IRequest</c> and an <c>IClientConfig</c>, which only a generated
/// service client (AWSSDK.BedrockRuntime, not served) builds; so this derives from the signer to reach the same
/// steps it runs inside: the canonical request (path segments encoded twice, as every AWS service but S3 expects),
/// the sorted headers, the string to sign, the derived key and the signature. Only the header set is ours.
/// </summary>
public sealed class BedrockSigner : AWS4Signer
{
    /// <summary>The signing name of Bedrock Runtime (its host is bedrock-runtime, its scope says bedrock).</summary>
    public const string SigningService = "bedrock";

    private const string ModelLabel = "{modelId}";

    private BedrockSigner()
    {
    }

    /// <summary>
    /// A signed <c>POST {endpoint}/model/{modelId}/{operation}</c> with <paramref name="body"/> as its JSON content. The
    /// model id is one path segment whatever it holds (an inference profile's ARN has ':' and '/').
    /// </summary>
    public static HttpRequestMessage Post(BedrockTarget target, string modelId, string operation, byte[] body, DateTime signedAt)
    {
        // No trailing slash: the signer joins the endpoint's own path (a gateway's prefix) and the resource path with one.
        var endpoint = new Uri(target.Endpoint.TrimEnd('/'));
        var resourcePath = $"/model/{ModelLabel}/{operation}";
        var pathResources = new Dictionary<string, string>(StringComparer.Ordinal) { [ModelLabel] = modelId };
        var url = new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + AWSSDKUtils.ResolveResourcePathV2(resourcePath, pathResources));

        var bodyHash = AWSSDKUtils.ToHex(ComputeHash(body), true);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["content-type"] = "application/json" };
        if (target.Credentials.SessionToken is { } token) headers["x-amz-security-token"] = token;
        // host and x-amz-date (the host exactly as HttpClient will send it); this also clears any content hash, so that comes after.
        InitializeHeaders(headers, url, signedAt);
        headers["x-amz-content-sha256"] = bodyHash;
        var sorted = SortAndPruneHeaders(headers);
        var canonicalRequest = CanonicalizeRequest(endpoint, resourcePath, "POST", sorted, "", bodyHash, pathResources, true);
        var signature = ComputeSignature(target.Credentials.AccessKeyId, target.Credentials.SecretAccessKey, target.Region, signedAt,
            SigningService, CanonicalizeHeaderNames(sorted), canonicalRequest);

        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            // HttpClient writes these from the URL and the content, with the values signed above.
            if (name.Equals("host", StringComparison.OrdinalIgnoreCase) || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) continue;
            request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
        return request;
    }
}
