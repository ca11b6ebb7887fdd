using System.Globalization;
using System.Xml;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// Validates a Response from the HTTP-POST binding against one connection (SAML 2.0 Web Browser SSO profile, 4.1.4),
/// statelessly: the caller then checks InResponseTo against the requests it issued and the assertion ID against the
/// ones already used. Every read is of the element whose signature was verified, and the message must hold exactly
/// one Assertion, directly under the Response, so a second (unsigned) assertion has nowhere to hide.
/// </summary>
public sealed class SamlResponseValidator(TimeProvider clock, TimeSpan clockSkew)
{
    /// <summary>The largest SAMLResponse form field accepted (base64): real responses are a few KB.</summary>
    public const int MaxEncodedLength = 512 * 1024;

    public SamlAssertion Validate(string? samlResponse, SamlServiceProvider sp, SamlIdentityProvider idp)
    {
        var document = SamlXml.Load(Decode(samlResponse));
        var response = document.DocumentElement!;
        if (response.LocalName != "Response" || response.NamespaceURI != SamlNames.Protocol)
            throw new SamlRejectedException($"The SAML message is a <{response.LocalName}>, not a SAML 2.0 protocol <Response>.");
        RequireVersion(response);

        if (SamlXml.Descendants(document, SamlNames.Assertion, "EncryptedAssertion").Count > 0)
            throw new SamlRejectedException("The Response carries an EncryptedAssertion; encrypted assertions are not supported: turn assertion encryption off for this application at the IdP.");
        var assertions = SamlXml.Descendants(document, SamlNames.Assertion, "Assertion");
        if (assertions.Count != 1 || assertions[0].ParentNode != response)
            throw new SamlRejectedException($"The Response must hold exactly one Assertion, directly under <Response>; it holds {assertions.Count}.");
        var assertion = assertions[0];
        // Signatures sit on the Response or the Assertion; one anywhere else could only be there to confuse a reader.
        foreach (var signature in SamlXml.Descendants(document, SamlNames.XmlDsig, "Signature"))
        {
            if (signature.ParentNode != response && signature.ParentNode != assertion)
                throw new SamlRejectedException("The Response carries a signature somewhere other than on the Response or the Assertion.");
        }

        var responseSigned = SamlSignature.Verify(response, idp.Certificate);
        var assertionSigned = SamlSignature.Verify(assertion, idp.Certificate);
        if (!responseSigned && !assertionSigned)
            throw new SamlRejectedException("Neither the Response nor the Assertion is signed; configure the IdP to sign the response or the assertion.");

        // From here on only `response` and `assertion` are read: the elements whose signatures were just verified
        // (an assertion inside a signed response is covered by the response's signature).
        var now = clock.GetUtcNow();
        CheckResponse(response, sp, idp);
        // Some IdPs write InResponseTo="" when they answer no request: empty is absent.
        var inResponseTo = SamlXml.Attribute(response, "InResponseTo") is { Length: > 0 } answered ? answered : null;
        return ReadAssertion(assertion, sp, idp, inResponseTo, now);
    }

    private static byte[] Decode(string? samlResponse)
    {
        if (string.IsNullOrWhiteSpace(samlResponse)) throw new SamlRejectedException("SAMLResponse is missing: the IdP must POST it as a form field.");
        if (samlResponse.Length > MaxEncodedLength) throw new SamlRejectedException($"SAMLResponse is longer than {MaxEncodedLength} characters.");
        try
        {
            // IdPs may wrap the base64 in lines; whitespace is not part of it.
            return Convert.FromBase64String(samlResponse);
        }
        catch (FormatException)
        {
            throw new SamlRejectedException("SAMLResponse is not base64.");
        }
    }

    private static void CheckResponse(XmlElement response, SamlServiceProvider sp, SamlIdentityProvider idp)
    {
        var destination = SamlXml.Attribute(response, "Destination");
        if (destination != sp.AcsUrl)
            throw new SamlRejectedException($"The Response's Destination is '{destination ?? "(none)"}', not this connection's ACS URL {sp.AcsUrl}.");
        if (SamlXml.Single(response, SamlNames.Assertion, "Issuer") is { } issuer && issuer.InnerText.Trim() != idp.EntityId)
            throw new SamlRejectedException($"The Response's Issuer is '{issuer.InnerText.Trim()}', not this connection's IdP entity id {idp.EntityId}.");

        var status = SamlXml.Single(response, SamlNames.Protocol, "Status")
            ?? throw new SamlRejectedException("The Response has no Status.");
        var code = SamlXml.Single(status, SamlNames.Protocol, "StatusCode");
        var value = code is null ? null : SamlXml.Attribute(code, "Value");
        if (value != SamlNames.Success)
        {
            var second = code is null ? null : SamlXml.Single(code, SamlNames.Protocol, "StatusCode") is { } inner ? SamlXml.Attribute(inner, "Value") : null;
            var message = SamlXml.Single(status, SamlNames.Protocol, "StatusMessage")?.InnerText;
            throw new SamlRejectedException($"The IdP did not sign the user in: status {value ?? "(none)"}{(second is null ? "" : " / " + second)}{(message is null ? "" : ": " + message)}.");
        }
    }

    private SamlAssertion ReadAssertion(XmlElement assertion, SamlServiceProvider sp, SamlIdentityProvider idp, string? inResponseTo, DateTimeOffset now)
    {
        RequireVersion(assertion);
        var id = SamlXml.Attribute(assertion, "ID");
        if (string.IsNullOrEmpty(id)) throw new SamlRejectedException("The Assertion has no ID.");
        var issuer = SamlXml.Single(assertion, SamlNames.Assertion, "Issuer")?.InnerText.Trim();
        if (issuer != idp.EntityId)
            throw new SamlRejectedException($"The Assertion's Issuer is '{issuer ?? "(none)"}', not this connection's IdP entity id {idp.EntityId}.");

        var conditionsEnd = CheckConditions(assertion, sp, now);
        var subject = SamlXml.Single(assertion, SamlNames.Assertion, "Subject")
            ?? throw new SamlRejectedException("The Assertion has no Subject.");
        var confirmationEnd = CheckSubjectConfirmation(subject, sp, inResponseTo, now);

        var authn = SamlXml.Children(assertion, SamlNames.Assertion, "AuthnStatement").FirstOrDefault()
            ?? throw new SamlRejectedException("The Assertion has no AuthnStatement: it does not say the user authenticated.");
        var nameIdElement = SamlXml.Single(subject, SamlNames.Assertion, "NameID")
            ?? throw new SamlRejectedException("The Assertion's Subject has no NameID.");
        var nameId = nameIdElement.InnerText.Trim();
        var attributes = Attributes(assertion);
        var email = SamlXml.Attribute(nameIdElement, "Format") == SamlNames.EmailNameIdFormat
            ? nameId
            : First(attributes, SamlNames.EmailAttributes)
                ?? throw new SamlRejectedException("The Assertion carries no email: send the NameID in emailAddress format or an 'email' attribute.");
        if (!LooksLikeEmail(email))
            throw new SamlRejectedException($"The Assertion's email '{email}' is not an email address.");

        var end = conditionsEnd is { } c && c > confirmationEnd ? c : confirmationEnd;
        return new SamlAssertion(id, inResponseTo, email, First(attributes, SamlNames.NameAttributes), nameId,
            SamlXml.Attribute(authn, "SessionIndex"), end + clockSkew);
    }

    /// <summary>Checks NotBefore/NotOnOrAfter and the audience; returns NotOnOrAfter, if the conditions give one.</summary>
    private DateTimeOffset? CheckConditions(XmlElement assertion, SamlServiceProvider sp, DateTimeOffset now)
    {
        var conditions = SamlXml.Single(assertion, SamlNames.Assertion, "Conditions")
            ?? throw new SamlRejectedException("The Assertion has no Conditions (an audience restriction is required).");
        var notBefore = Time(conditions, "NotBefore");
        var notOnOrAfter = Time(conditions, "NotOnOrAfter");
        if (notBefore is { } nb && now + clockSkew < nb)
            throw new SamlRejectedException($"The Assertion is not valid yet (NotBefore {Format(nb)}, now {Format(now)}); check the IdP's clock.");
        if (notOnOrAfter is { } na && now - clockSkew >= na)
            throw new SamlRejectedException($"The Assertion has expired (NotOnOrAfter {Format(na)}, now {Format(now)}).");

        var restrictions = SamlXml.Children(conditions, SamlNames.Assertion, "AudienceRestriction").ToList();
        if (restrictions.Count == 0)
            throw new SamlRejectedException($"The Assertion has no AudienceRestriction; it must be restricted to this connection's SP entity id {sp.EntityId}.");
        // Each AudienceRestriction must be met (SAML core 2.5.1.4): we must be among the audiences of every one.
        foreach (var restriction in restrictions)
        {
            var audiences = SamlXml.Children(restriction, SamlNames.Assertion, "Audience").Select(a => a.InnerText.Trim()).ToList();
            if (!audiences.Contains(sp.EntityId, StringComparer.Ordinal))
                throw new SamlRejectedException($"The Assertion's audience is '{string.Join("', '", audiences)}', not this connection's SP entity id {sp.EntityId}.");
        }
        return notOnOrAfter;
    }

    /// <summary>Finds a bearer SubjectConfirmation for our ACS URL and this request that is still valid; returns its NotOnOrAfter.</summary>
    private DateTimeOffset CheckSubjectConfirmation(XmlElement subject, SamlServiceProvider sp, string? inResponseTo, DateTimeOffset now)
    {
        string? refusal = null;
        foreach (var confirmation in SamlXml.Children(subject, SamlNames.Assertion, "SubjectConfirmation"))
        {
            if (SamlXml.Attribute(confirmation, "Method") != SamlNames.Bearer) continue;
            var data = SamlXml.Single(confirmation, SamlNames.Assertion, "SubjectConfirmationData");
            if (data is null)
            {
                refusal = "The bearer SubjectConfirmation has no SubjectConfirmationData.";
                continue;
            }
            var recipient = SamlXml.Attribute(data, "Recipient");
            var notOnOrAfter = Time(data, "NotOnOrAfter");
            var notBefore = Time(data, "NotBefore");
            var confirms = SamlXml.Attribute(data, "InResponseTo") is { Length: > 0 } answered ? answered : null;
            refusal = recipient != sp.AcsUrl ? $"The SubjectConfirmationData's Recipient is '{recipient ?? "(none)"}', not this connection's ACS URL {sp.AcsUrl}."
                : notOnOrAfter is null ? "The SubjectConfirmationData has no NotOnOrAfter (a bearer assertion must say when it expires)."
                : now - clockSkew >= notOnOrAfter ? $"The Assertion's SubjectConfirmationData has expired (NotOnOrAfter {Format(notOnOrAfter.Value)}, now {Format(now)})."
                : notBefore is { } nb && now + clockSkew < nb ? $"The Assertion's SubjectConfirmationData is not valid yet (NotBefore {Format(nb)})."
                : confirms != inResponseTo ? $"The SubjectConfirmationData's InResponseTo '{confirms ?? "(none)"}' differs from the Response's '{inResponseTo ?? "(none)"}'."
                : null;
            if (refusal is null) return notOnOrAfter!.Value;
        }
        throw new SamlRejectedException(refusal ?? "The Assertion's Subject has no bearer SubjectConfirmation.");
    }

    private static Dictionary<string, string> Attributes(XmlElement assertion)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var statement in SamlXml.Children(assertion, SamlNames.Assertion, "AttributeStatement"))
        {
            foreach (var attribute in SamlXml.Children(statement, SamlNames.Assertion, "Attribute"))
            {
                var name = SamlXml.Attribute(attribute, "Name");
                var value = SamlXml.Children(attribute, SamlNames.Assertion, "AttributeValue").FirstOrDefault()?.InnerText.Trim();
                if (name is not null && !string.IsNullOrEmpty(value)) values.TryAdd(name, value);
            }
        }
        return values;
    }

    private static string? First(Dictionary<string, string> attributes, IReadOnlyList<string> names) =>
        names.Select(n => attributes.GetValueOrDefault(n)).FirstOrDefault(v => v is not null);

    private static bool LooksLikeEmail(string value) =>
        value.Length is > 2 and <= 320 && value.IndexOf('@', StringComparison.Ordinal) is var at && at > 0 && at < value.Length - 1
        && !value.Any(char.IsWhiteSpace);

    private static void RequireVersion(XmlElement element)
    {
        if (SamlXml.Attribute(element, "Version") != "2.0")
            throw new SamlRejectedException($"The <{element.LocalName}> is not SAML version 2.0.");
    }

    private static DateTimeOffset? Time(XmlElement element, string attribute)
    {
        if (SamlXml.Attribute(element, attribute) is not { } text) return null;
        try
        {
            return XmlConvert.ToDateTimeOffset(text).ToUniversalTime();
        }
        catch (FormatException)
        {
            throw new SamlRejectedException($"<{element.LocalName}> {attribute}='{text}' is not an xs:dateTime.");
        }
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
