using System.Security.Cryptography.X509Certificates;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>Us, as one connection's IdP knows us: our entity id (the audience) and our assertion consumer service URL.</summary>
public sealed record SamlServiceProvider(string EntityId, string AcsUrl);

/// <summary>
/// One connection's identity provider: its entity id (the issuer), where AuthnRequests go, the one certificate whose
/// key must sign its responses, and whether it may start a sign-in on its own (IdP-initiated, no AuthnRequest of ours).
/// </summary>
public sealed record SamlIdentityProvider(string EntityId, string SsoUrl, X509Certificate2 Certificate, bool AllowIdpInitiated);
