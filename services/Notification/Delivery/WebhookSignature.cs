using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Notification.Delivery;

/// <summary>
/// The signature of a generic webhook: <c>X-HoneyHive-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret,
/// "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>. The timestamp is signed with the body so a receiver can refuse a replay older
/// than its tolerance (five minutes is usual) as well as a forged body.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-HoneyHive-Signature";
    public const string DeliveryHeader = "X-HoneyHive-Delivery";
    public const string EventHeader = "X-HoneyHive-Event";

    public static string Header(string secret, long unixSeconds, ReadOnlySpan<byte> body) =>
        $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Compute(secret, unixSeconds, body)}";

    public static string Compute(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>Whether <paramref name="header"/> signs <paramref name="body"/> with <paramref name="secret"/> (constant-time compare).</summary>
    public static bool Verify(string secret, string header, ReadOnlySpan<byte> body, out long unixSeconds)
    {
        unixSeconds = 0;
        string? t = null, v1 = null;
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2) return false;
            if (pair[0] == "t") t = pair[1];
            else if (pair[0] == "v1") v1 = pair[1];
        }
        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out unixSeconds)) return false;
        var expected = Encoding.ASCII.GetBytes(Compute(secret, unixSeconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1));
    }
}
