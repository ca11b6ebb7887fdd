using OtpNet;
using QRCoder;

namespace HoneyHive.ControlPlane.Api.Mfa;

/// <summary>What an authenticator app needs to add the account: the secret, its otpauth:// URI, and that URI as a QR code.</summary>
public sealed record TotpProvisioning(string Secret, string Uri, string QrCodePng);

/// <summary>
/// RFC 6238 time-based codes through Otp.NET: 20-byte (160-bit, RFC 4226's recommendation) secrets, SHA-1, 6 digits,
/// 30-second steps, the form every authenticator app reads. Verification accepts the step before and after the
/// current one (clock drift of up to 30 s either way) and says which step matched, for the replay guard.
/// </summary>
public static class TotpCodes
{
    public const int Digits = 6;
    public const int StepSeconds = 30;

    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>The time step a code of <paramref name="secret"/> matched at <paramref name="now"/>, or null when it matches none within ±1 step.</summary>
    public static long? MatchingStep(string secret, string code, DateTimeOffset now)
    {
        var totp = new OtpNet.Totp(Base32Encoding.ToBytes(secret), StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, Window) ? step : null;
    }

    /// <summary>The code of <paramref name="secret"/> at <paramref name="at"/> (tests and nothing else need to compute one).</summary>
    public static string CodeAt(string secret, DateTimeOffset at) =>
        new OtpNet.Totp(Base32Encoding.ToBytes(secret), StepSeconds, OtpHashMode.Sha1, Digits).ComputeTotp(at.UtcDateTime);

    /// <summary>True when <paramref name="code"/> has the shape of a code (6 digits), after spaces are removed.</summary>
    public static bool LooksLikeCode(string code) => code.Length == Digits && code.All(char.IsAsciiDigit);

    public static TotpProvisioning Provision(string secret, string issuer, string account)
    {
        var uri = new OtpUri(OtpType.Totp, secret, account, issuer, OtpHashMode.Sha1, Digits, StepSeconds).ToString();
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(5);
        return new TotpProvisioning(secret, uri, "data:image/png;base64," + Convert.ToBase64String(png));
    }
}
