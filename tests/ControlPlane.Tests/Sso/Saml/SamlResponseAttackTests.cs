using System.Security.Cryptography.Xml;
using System.Xml;
using HoneyHive.ControlPlane.Api.Sso.Saml;

namespace HoneyHive.ControlPlane.Tests.Sso.Saml;

/// <summary>
/// The Response checks of the SAML service provider, one attack per test, against Responses a real signer produced
/// (<see cref="TestSamlIdp"/>). Each refusal is asserted by its reason, so a test cannot pass on an unrelated one.
/// </summary>
[Trait("Servers", "None")]
public sealed class SamlResponseAttackTests
{
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(1);

    private readonly ManualClock clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    // RSA key generation is the slow part: one pair of IdPs serves every test (they hold no state).
    private static readonly TestSamlIdp idp = new("https://idp.org-a.test/saml");
    private static readonly TestSamlIdp otherOrgsIdp = new("https://idp.org-b.test/saml");
    private readonly SamlServiceProvider sp = new("https://hh.test/v1/auth/sso/saml/a/metadata", "https://hh.test/v1/auth/sso/saml/a/acs");

    private SamlResponseSpec Spec(string? inResponseTo = null) => idp.Spec(sp, "ada@org-a.test", clock.GetUtcNow(), inResponseTo);

    private SamlAssertion Validate(XmlDocument response) => Validate(TestSamlIdp.Encode(response));

    private SamlAssertion Validate(string encoded) =>
        new SamlResponseValidator(clock, Skew).Validate(encoded, sp, idp.AsConfigured());

    private void Refused(XmlDocument response, string reason) => Refused(TestSamlIdp.Encode(response), reason);

    private void Refused(string encoded, string reason)
    {
        var refused = Assert.Throws<SamlRejectedException>(() => Validate(encoded));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_with_a_signed_assertion_is_accepted_and_read()
    {
        var spec = Spec("_req1");
        var assertion = Validate(idp.SignedAssertion(spec));

        Assert.Equal("ada@org-a.test", assertion.Email);
        Assert.Equal("Test Person", assertion.DisplayName);
        Assert.Equal(spec.AssertionId, assertion.AssertionId);
        Assert.Equal("_req1", assertion.InResponseTo);
        Assert.Equal(spec.NotOnOrAfter + Skew, assertion.ReplayableUntil);
    }

    [Fact]
    public void A_signed_response_around_an_unsigned_assertion_is_accepted()
    {
        var document = TestSamlIdp.Response(Spec());
        idp.Sign(document.DocumentElement!);

        Assert.Equal("ada@org-a.test", Validate(document).Email);
    }

    [Fact]
    public void An_email_attribute_is_used_when_the_name_id_is_not_an_email()
    {
        var document = TestSamlIdp.Response(Spec() with { NameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", Email = "opaque-42" });
        var statement = document.GetElementsByTagName("AttributeStatement", SamlNames.Assertion)[0]!;
        var attribute = document.CreateElement("saml", "Attribute", SamlNames.Assertion);
        attribute.SetAttribute("Name", "email");
        var value = document.CreateElement("saml", "AttributeValue", SamlNames.Assertion);
        value.InnerText = "grace@org-a.test";
        attribute.AppendChild(value);
        statement.AppendChild(attribute);
        idp.Sign(TestSamlIdp.AssertionOf(document));

        var assertion = Validate(document);
        Assert.Equal("grace@org-a.test", assertion.Email);
        Assert.Equal("opaque-42", assertion.NameId);
    }

    [Fact]
    public void An_unsigned_response_and_assertion_are_refused() =>
        Refused(TestSamlIdp.Response(Spec()), "Neither the Response nor the Assertion is signed");

    [Fact]
    public void An_assertion_for_another_audience_is_refused() =>
        Refused(idp.SignedAssertion(Spec() with { Audience = "https://hh.test/v1/auth/sso/saml/b/metadata" }), "audience is 'https://hh.test/v1/auth/sso/saml/b/metadata'");

    [Fact]
    public void An_assertion_for_another_recipient_is_refused() =>
        Refused(idp.SignedAssertion(Spec() with { Recipient = "https://evil.test/acs" }), "Recipient is 'https://evil.test/acs'");

    [Fact]
    public void A_response_for_another_destination_is_refused() =>
        Refused(idp.SignedAssertion(Spec() with { Destination = "https://evil.test/acs" }), "Destination is 'https://evil.test/acs'");

    [Fact]
    public void An_expired_assertion_is_refused_once_the_skew_has_passed()
    {
        var document = idp.SignedAssertion(Spec());
        clock.Advance(TimeSpan.FromMinutes(5) + Skew - TimeSpan.FromSeconds(1));
        Validate(document);

        clock.Advance(TimeSpan.FromSeconds(1));
        Refused(document, "has expired");
    }

    [Fact]
    public void An_assertion_not_valid_yet_is_refused_beyond_the_skew()
    {
        var spec = Spec() with { NotBefore = clock.GetUtcNow() + Skew + TimeSpan.FromSeconds(1) };
        Refused(idp.SignedAssertion(spec), "is not valid yet");

        Validate(idp.SignedAssertion(Spec() with { NotBefore = clock.GetUtcNow() + Skew }));
    }

    [Fact]
    public void An_assertion_signed_by_another_orgs_idp_is_refused_even_with_its_certificate_in_key_info()
    {
        // IdP B signs an assertion for our SP with its own key and sends its own certificate in KeyInfo; the
        // connection trusts IdP A's certificate only.
        var spec = Spec() with { Issuer = idp.EntityId };
        var document = TestSamlIdp.Response(spec);
        otherOrgsIdp.Sign(TestSamlIdp.AssertionOf(document));

        Refused(document, "does not verify with the IdP certificate configured on this connection");
    }

    [Fact]
    public void A_signed_assertion_whose_content_was_changed_is_refused()
    {
        var document = idp.SignedAssertion(Spec());
        document.GetElementsByTagName("NameID", SamlNames.Assertion)[0]!.InnerText = "admin@org-a.test";

        Refused(document, "does not verify");
    }

    [Fact]
    public void A_response_with_a_dtd_and_an_entity_is_refused()
    {
        var xml = TestSamlIdp.Response(Spec()).OuterXml.Replace("ada@org-a.test", "&who;", StringComparison.Ordinal);
        var withDtd = "<!DOCTYPE samlp:Response [<!ENTITY who \"ada@org-a.test\">]>" + xml;

        Refused(TestSamlIdp.Encode(withDtd), "DTD");
    }

    [Fact]
    public void A_response_with_an_external_entity_is_refused()
    {
        var xml = TestSamlIdp.Response(Spec()).OuterXml.Replace("ada@org-a.test", "&xxe;", StringComparison.Ordinal);
        var withXxe = "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" + xml;

        Refused(TestSamlIdp.Encode(withXxe), "DTD");
    }

    [Fact]
    public void A_comment_inside_the_name_id_is_refused()
    {
        // Canonicalization drops comments, so the signature still verifies over "ada@org-a.test.evil.test"; a reader
        // of the first text node alone would see "ada@org-a.test".
        var document = TestSamlIdp.Response(Spec() with { Email = "ada@org-a.test.evil.test" });
        var nameId = document.GetElementsByTagName("NameID", SamlNames.Assertion)[0]!;
        nameId.InnerXml = "ada@org-a.test<!---->.evil.test";
        idp.Sign(TestSamlIdp.AssertionOf(document));

        Refused(document, "XML comment");
    }

    [Fact]
    public void Wrapping_a_second_unsigned_assertion_beside_the_signed_one_is_refused()
    {
        var document = idp.SignedAssertion(Spec());
        var evil = TestSamlIdp.AssertionOf(TestSamlIdp.Response(Spec() with { Email = "admin@org-a.test" }));
        var signed = TestSamlIdp.AssertionOf(document);
        document.DocumentElement!.InsertBefore(document.ImportNode(evil, deep: true), signed);

        Refused(document, "exactly one Assertion");
    }

    [Fact]
    public void Wrapping_the_signed_assertion_inside_an_unsigned_one_is_refused()
    {
        // XSW: the evil assertion takes the signed one's place; the signed original hides inside it, where a
        // signature check that looks the reference up by ID still finds it.
        var document = idp.SignedAssertion(Spec());
        var signed = TestSamlIdp.AssertionOf(document);
        var evil = (XmlElement)document.ImportNode(TestSamlIdp.AssertionOf(TestSamlIdp.Response(Spec() with { Email = "admin@org-a.test" })), deep: true);
        document.DocumentElement!.ReplaceChild(evil, signed);
        evil.GetElementsByTagName("Subject", SamlNames.Assertion)[0]!.AppendChild(signed);

        Refused(document, "exactly one Assertion");
    }

    [Fact]
    public void Wrapping_a_signed_response_inside_an_unsigned_one_is_refused()
    {
        // XSW on the Response: a new unsigned Response carries the evil assertion, and the signed Response rides
        // along inside its Extensions.
        var signedResponse = TestSamlIdp.Response(Spec());
        idp.Sign(signedResponse.DocumentElement!);
        var document = TestSamlIdp.Response(Spec() with { Email = "admin@org-a.test" });
        var extensions = document.CreateElement("samlp", "Extensions", SamlNames.Protocol);
        extensions.AppendChild(document.ImportNode(signedResponse.DocumentElement!, deep: true));
        var issuer = document.DocumentElement!.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        document.DocumentElement.InsertAfter(extensions, issuer);

        Refused(document, "exactly one Assertion");
    }

    [Fact]
    public void An_unsigned_assertion_reusing_the_signed_ones_id_is_refused()
    {
        // The signed original is moved into the signature's Object, and the evil assertion takes its ID, so a
        // look-up by ID could land on either.
        var spec = Spec();
        var document = idp.SignedAssertion(spec);
        var signed = TestSamlIdp.AssertionOf(document);
        var evil = (XmlElement)document.ImportNode(TestSamlIdp.AssertionOf(TestSamlIdp.Response(Spec() with { Email = "admin@org-a.test", AssertionId = spec.AssertionId })), deep: true);
        var signature = signed.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Signature");
        document.DocumentElement!.ReplaceChild(evil, signed);
        signed.RemoveChild(signature);
        var issuer = evil.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        evil.InsertAfter(signature, issuer);
        var holder = document.CreateElement("ds", "Object", SamlNames.XmlDsig);
        holder.AppendChild(signed);
        signature.AppendChild(holder);

        Refused(document, "share the ID");
    }

    [Fact]
    public void A_signature_moved_onto_an_assertion_it_does_not_reference_is_refused()
    {
        var document = idp.SignedAssertion(Spec());
        var signed = TestSamlIdp.AssertionOf(document);
        var signature = signed.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Signature");
        var evil = (XmlElement)document.ImportNode(TestSamlIdp.AssertionOf(TestSamlIdp.Response(Spec() with { Email = "admin@org-a.test" })), deep: true);
        signed.RemoveChild(signature);
        evil.InsertAfter(signature, evil.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer"));
        document.DocumentElement!.ReplaceChild(evil, signed);

        Refused(document, "not the element it is on");
    }

    [Fact]
    public void A_sha1_signature_is_refused() =>
        Refused(SignedWith(SignedXml.XmlDsigRSASHA1Url, SignedXml.XmlDsigSHA1Url), "RSA-SHA256");

    [Fact]
    public void An_assertion_from_another_issuer_is_refused() =>
        Refused(idp.SignedAssertion(Spec() with { Issuer = "https://idp.org-b.test/saml" }), "Issuer is 'https://idp.org-b.test/saml'");

    [Fact]
    public void A_response_whose_status_is_not_success_is_refused() =>
        Refused(idp.SignedAssertion(Spec() with { StatusCode = "urn:oasis:names:tc:SAML:2.0:status:Requester" }), "status urn:oasis:names:tc:SAML:2.0:status:Requester");

    [Fact]
    public void Mismatched_in_response_to_between_response_and_assertion_is_refused()
    {
        var document = TestSamlIdp.Response(Spec("_req1"));
        document.DocumentElement!.SetAttribute("InResponseTo", "_req2");
        idp.Sign(TestSamlIdp.AssertionOf(document));

        Refused(document, "InResponseTo '_req1' differs from the Response's '_req2'");
    }

    [Fact]
    public void Something_that_is_not_base64_is_refused() => Refused("<samlp:Response/>", "not base64");

    private XmlDocument SignedWith(string signatureMethod, string digestMethod)
    {
        var document = TestSamlIdp.Response(Spec());
        idp.Sign(TestSamlIdp.AssertionOf(document), signatureMethod, digestMethod);
        return document;
    }
}
