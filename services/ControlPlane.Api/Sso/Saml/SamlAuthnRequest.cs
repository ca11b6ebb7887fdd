using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>An AuthnRequest ready to send: its ID (the Response must answer it in InResponseTo) and the IdP URL carrying it.</summary>
public sealed record SamlRedirect(string RequestId, string Url);

/// <summary>
/// SP-initiated sign-in: an AuthnRequest on the HTTP-Redirect binding (SAML bindings 3.4: raw DEFLATE, base64, URL
/// query parameter SAMLRequest). It asks for an email NameID and a POST back to our ACS URL. It is not signed: IdPs
/// accept unsigned requests by default, and what protects the sign-in is the Response's signature and its
/// InResponseTo naming a request we issued (single use).
/// </summary>
public static class SamlAuthnRequest
{
    public static SamlRedirect Create(SamlServiceProvider sp, SamlIdentityProvider idp, DateTimeOffset now, string? relayState = null)
    {
        // An xs:ID must not start with a digit; 160 random bits cannot be guessed.
        var id = "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var query = "SAMLRequest=" + Uri.EscapeDataString(Encode(Xml(id, sp, idp, now)));
        if (!string.IsNullOrEmpty(relayState)) query += "&RelayState=" + Uri.EscapeDataString(relayState);
        var separator = idp.SsoUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return new SamlRedirect(id, idp.SsoUrl + separator + query);
    }

    private static string Xml(string id, SamlServiceProvider sp, SamlIdentityProvider idp, DateTimeOffset now)
    {
        using var text = new StringWriter();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            writer.WriteStartElement("samlp", "AuthnRequest", SamlNames.Protocol);
            writer.WriteAttributeString("xmlns", "saml", null, SamlNames.Assertion);
            writer.WriteAttributeString("ID", id);
            writer.WriteAttributeString("Version", "2.0");
            writer.WriteAttributeString("IssueInstant", XmlConvert.ToString(now.UtcDateTime, XmlDateTimeSerializationMode.Utc));
            writer.WriteAttributeString("Destination", idp.SsoUrl);
            writer.WriteAttributeString("AssertionConsumerServiceURL", sp.AcsUrl);
            writer.WriteAttributeString("ProtocolBinding", SamlNames.HttpPost);
            writer.WriteElementString("saml", "Issuer", SamlNames.Assertion, sp.EntityId);
            writer.WriteStartElement("samlp", "NameIDPolicy", SamlNames.Protocol);
            writer.WriteAttributeString("Format", SamlNames.EmailNameIdFormat);
            writer.WriteAttributeString("AllowCreate", "true");
            writer.WriteEndElement();
            writer.WriteEndElement();
        }
        return text.ToString();
    }

    private static string Encode(string xml)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var writer = new StreamWriter(deflate, new System.Text.UTF8Encoding(false)))
            writer.Write(xml);
        return Convert.ToBase64String(buffer.ToArray());
    }
}
