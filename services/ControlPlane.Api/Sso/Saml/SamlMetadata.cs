using System.Text;
using System.Xml;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// Our SP metadata for one connection (SAML metadata 2.4.4): what an IdP administrator imports to set the
/// application up: our entity id, the ACS URL on the HTTP-POST binding, the email NameID format, and that we want
/// assertions signed. We publish no signing or encryption certificate: requests are unsigned and encrypted
/// assertions are not supported.
/// </summary>
public static class SamlMetadata
{
    public const string ContentType = "application/samlmetadata+xml";

    public static string Create(SamlServiceProvider sp)
    {
        using var text = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings { Indent = true }))
        {
            writer.WriteStartElement("md", "EntityDescriptor", SamlNames.Metadata);
            writer.WriteAttributeString("entityID", sp.EntityId);
            writer.WriteStartElement("md", "SPSSODescriptor", SamlNames.Metadata);
            writer.WriteAttributeString("AuthnRequestsSigned", "false");
            writer.WriteAttributeString("WantAssertionsSigned", "true");
            writer.WriteAttributeString("protocolSupportEnumeration", SamlNames.Protocol);
            writer.WriteElementString("md", "NameIDFormat", SamlNames.Metadata, SamlNames.EmailNameIdFormat);
            writer.WriteStartElement("md", "AssertionConsumerService", SamlNames.Metadata);
            writer.WriteAttributeString("Binding", SamlNames.HttpPost);
            writer.WriteAttributeString("Location", sp.AcsUrl);
            writer.WriteAttributeString("index", "0");
            writer.WriteAttributeString("isDefault", "true");
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        }
        return text.ToString();
    }

    private sealed class Utf8StringWriter : StringWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
