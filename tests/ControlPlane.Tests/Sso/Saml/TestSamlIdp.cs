using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using HoneyHive.ControlPlane.Api.Sso.Saml;

namespace HoneyHive.ControlPlane.Tests.Sso.Saml;

/// <summary>What a test Response says; each test changes the one field its attack is about.</summary>
public sealed record SamlResponseSpec(
    string Destination,
    string Recipient,
    string Audience,
    string Email,
    DateTimeOffset Now,
    string Issuer,
    string? InResponseTo = null,
    string StatusCode = SamlNames.Success)
{
    public string ResponseId { get; init; } = "_r" + Guid.NewGuid().ToString("N");

    public string AssertionId { get; init; } = "_a" + Guid.NewGuid().ToString("N");

    public DateTimeOffset NotBefore { get; init; } = Now.AddMinutes(-1);

    public DateTimeOffset NotOnOrAfter { get; init; } = Now.AddMinutes(5);

    public string NameIdFormat { get; init; } = SamlNames.EmailNameIdFormat;
}

/// <summary>
/// A SAML identity provider in the test process: its own RSA key and self-signed certificate, Responses written as
/// real XML and signed with the framework's SignedXml exactly as an IdP signs them (enveloped, exclusive c14n,
/// RSA-SHA256), with its certificate in KeyInfo as IdPs send it (which the SP must ignore).
/// </summary>
public sealed class TestSamlIdp : IDisposable
{
    private readonly RSA key = RSA.Create(2048);

    public TestSamlIdp(string entityId)
    {
        EntityId = entityId;
        var request = new CertificateRequest($"CN={entityId}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public string EntityId { get; }

    public X509Certificate2 Certificate { get; }

    public SamlIdentityProvider AsConfigured(bool allowIdpInitiated = false, X509Certificate2? certificate = null) =>
        new(EntityId, "https://idp.example.test/sso", certificate ?? Certificate, allowIdpInitiated);

    public SamlResponseSpec Spec(SamlServiceProvider sp, string email, DateTimeOffset now, string? inResponseTo = null) =>
        new(sp.AcsUrl, sp.AcsUrl, sp.EntityId, email, now, EntityId, inResponseTo);

    /// <summary>The Response of <paramref name="spec"/>, unsigned.</summary>
    public static XmlDocument Response(SamlResponseSpec spec)
    {
        var inResponseTo = spec.InResponseTo is null ? "" : $" InResponseTo=\"{E(spec.InResponseTo)}\"";
        var xml = $"""
            <samlp:Response xmlns:samlp="{SamlNames.Protocol}" xmlns:saml="{SamlNames.Assertion}" ID="{E(spec.ResponseId)}" Version="2.0" IssueInstant="{T(spec.Now)}" Destination="{E(spec.Destination)}"{inResponseTo}>
              <saml:Issuer>{E(spec.Issuer)}</saml:Issuer>
              <samlp:Status><samlp:StatusCode Value="{E(spec.StatusCode)}"/></samlp:Status>
              <saml:Assertion ID="{E(spec.AssertionId)}" Version="2.0" IssueInstant="{T(spec.Now)}">
                <saml:Issuer>{E(spec.Issuer)}</saml:Issuer>
                <saml:Subject>
                  <saml:NameID Format="{E(spec.NameIdFormat)}">{E(spec.Email)}</saml:NameID>
                  <saml:SubjectConfirmation Method="{SamlNames.Bearer}">
                    <saml:SubjectConfirmationData NotOnOrAfter="{T(spec.NotOnOrAfter)}" Recipient="{E(spec.Recipient)}"{inResponseTo}/>
                  </saml:SubjectConfirmation>
                </saml:Subject>
                <saml:Conditions NotBefore="{T(spec.NotBefore)}" NotOnOrAfter="{T(spec.NotOnOrAfter)}">
                  <saml:AudienceRestriction><saml:Audience>{E(spec.Audience)}</saml:Audience></saml:AudienceRestriction>
                </saml:Conditions>
                <saml:AuthnStatement AuthnInstant="{T(spec.Now)}" SessionIndex="_s1">
                  <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
                </saml:AuthnStatement>
                <saml:AttributeStatement>
                  <saml:Attribute Name="displayName"><saml:AttributeValue>Test Person</saml:AttributeValue></saml:Attribute>
                </saml:AttributeStatement>
              </saml:Assertion>
            </samlp:Response>
            """;
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        return document;
    }

    /// <summary>Signs <paramref name="element"/> (enveloped, placed after its Issuer as the schema wants) with this IdP's key.</summary>
    public void Sign(XmlElement element, string signatureMethod = SignedXml.XmlDsigRSASHA256Url, string digestMethod = SignedXml.XmlDsigSHA256Url)
    {
        var signer = new SignedXml(element) { SigningKey = key };
        signer.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signer.SignedInfo.SignatureMethod = signatureMethod;
        var reference = new Reference("#" + element.GetAttribute("ID")) { DigestMethod = digestMethod };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signer.AddReference(reference);
        signer.KeyInfo = new KeyInfo();
        signer.KeyInfo.AddClause(new KeyInfoX509Data(Certificate));
        signer.ComputeSignature();
        var signature = element.OwnerDocument.ImportNode(signer.GetXml(), deep: true);
        var issuer = element.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        element.InsertAfter(signature, issuer);
    }

    /// <summary>The Response with its Assertion signed, as most IdPs send it.</summary>
    public XmlDocument SignedAssertion(SamlResponseSpec spec)
    {
        var document = Response(spec);
        Sign(AssertionOf(document));
        return document;
    }

    public static XmlElement AssertionOf(XmlDocument document) =>
        document.GetElementsByTagName("Assertion", SamlNames.Assertion).OfType<XmlElement>().First();

    /// <summary>The SAMLResponse form field of <paramref name="document"/>, byte for byte as it stands.</summary>
    public static string Encode(XmlDocument document) => Convert.ToBase64String(Encoding.UTF8.GetBytes(document.OuterXml));

    public static string Encode(string xml) => Convert.ToBase64String(Encoding.UTF8.GetBytes(xml));

    public void Dispose()
    {
        Certificate.Dispose();
        key.Dispose();
    }

    private static string E(string value) => SecurityElement.Escape(value);

    private static string T(DateTimeOffset time) => XmlConvert.ToString(time.UtcDateTime, XmlDateTimeSerializationMode.Utc);
}
