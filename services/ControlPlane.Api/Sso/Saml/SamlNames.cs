namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>The XML namespaces, URIs and formats of SAML 2.0 and XML-DSig this service provider speaks.</summary>
public static class SamlNames
{
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";
    public const string Metadata = "urn:oasis:names:tc:SAML:2.0:metadata";
    public const string XmlDsig = "http://www.w3.org/2000/09/xmldsig#";

    public const string Success = "urn:oasis:names:tc:SAML:2.0:status:Success";
    public const string Bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
    public const string HttpPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    public const string HttpRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    public const string EmailNameIdFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

    /// <summary>Attribute names IdPs commonly use for the email (plain, LDAP's mail by name and OID, the WS-Federation claim).</summary>
    public static readonly IReadOnlyList<string> EmailAttributes =
    [
        "email",
        "mail",
        "emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    ];

    /// <summary>Attribute names for a display name (plain, the OID of displayName, the WS-Federation claim).</summary>
    public static readonly IReadOnlyList<string> NameAttributes =
    [
        "name",
        "displayname",
        "urn:oid:2.16.840.1.113730.3.1.241",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    ];
}
