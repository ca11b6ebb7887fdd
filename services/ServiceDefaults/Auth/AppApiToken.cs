using System.Security.Cryptography;
using System.Text;
using HoneyHive.Contracts.PythonMetrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The app API token (APP_API_TOKEN) that daprd presents as <c>dapr-api-token</c> on the calls it delivers: the only
/// credential of an app's internal invocation routes, which act for any project. Without a configured token every call
/// is refused.
/// </summary>
public sealed class AppApiToken
{
    // Hashed once: comparing fixed-length digests in constant time reveals neither the token nor its length.
    private readonly byte[]? expected;

    private AppApiToken(byte[]? expected) => this.expected = expected;

    public static AppApiToken From(IConfiguration configuration)
    {
        var token = configuration[PythonMetricInvocation.AppApiTokenVariable];
        return new AppApiToken(string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Throws a 401 unless the request carries the configured token.</summary>
    public void Check(HttpRequest request)
    {
        if (expected is null)
            throw new ApiRequestException(StatusCodes.Status401Unauthorized, null,
                $"{PythonMetricInvocation.AppApiTokenVariable} is not configured: this app takes no calls until it is.");
        var presented = request.Headers[PythonMetricInvocation.AppApiTokenHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected))
            throw new ApiRequestException(StatusCodes.Status401Unauthorized, null, $"Missing or wrong {PythonMetricInvocation.AppApiTokenHeader}.");
    }
}
