using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Identity;

/// <summary>
/// What a new password must be: NIST SP 800-63B's rules (length, not composition), with an upper bound so
/// hashing a request cannot be made arbitrarily expensive.
/// </summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 256;

    /// <summary>Throws a 400 naming <paramref name="field"/> when <paramref name="password"/> is not acceptable.</summary>
    public static void Validate(string? password, string field)
    {
        if (string.IsNullOrEmpty(password))
            throw ApiRequestException.BadRequest(field, $"{field} is required.");
        if (password.Length < MinimumLength)
            throw ApiRequestException.BadRequest(field, $"{field} must be at least {MinimumLength} characters.");
        if (password.Length > MaximumLength)
            throw ApiRequestException.BadRequest(field, $"{field} must be at most {MaximumLength} characters.");
    }
}
