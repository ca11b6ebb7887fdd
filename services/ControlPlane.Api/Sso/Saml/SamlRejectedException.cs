namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// A SAML message this service provider refuses, with the reason in words an IdP administrator can act on. The reason
/// names what was wrong, never a secret (certificates are public and assertions carry none).
/// </summary>
public sealed class SamlRejectedException(string reason) : Exception(reason);
