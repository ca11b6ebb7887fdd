namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// What a valid Response asserted: who signed in (the email the account is found or created by), the IDs the replay
/// and request checks need, and how long the assertion could be replayed (its ID is remembered until then).
/// </summary>
public sealed record SamlAssertion(
    string AssertionId,
    string? InResponseTo,
    string Email,
    string? DisplayName,
    string NameId,
    string? SessionIndex,
    DateTimeOffset ReplayableUntil);
