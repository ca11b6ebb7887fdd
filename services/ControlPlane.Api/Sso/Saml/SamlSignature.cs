using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// Verifies the enveloped XML signature of one SAML element (a Response or an Assertion) with the key of the IdP
/// certificate configured on the connection, never a key or certificate carried in the message (KeyInfo is ignored).
/// The signature must reference exactly that element by its ID, so the element the caller goes on to read is the one
/// the signature covers; only the transforms SAML needs (enveloped-signature, exclusive c14n without comments) and
/// SHA-256 or SHA-512 digests are accepted.
/// </summary>
public static class SamlSignature
{
    private static readonly HashSet<string> SignatureMethods = new(StringComparer.Ordinal)
    {
        SignedXml.XmlDsigRSASHA256Url,
        SignedXml.XmlDsigRSASHA384Url,
        SignedXml.XmlDsigRSASHA512Url,
    };

    private static readonly HashSet<string> DigestMethods = new(StringComparer.Ordinal)
    {
        SignedXml.XmlDsigSHA256Url,
        SignedXml.XmlDsigSHA384Url,
        SignedXml.XmlDsigSHA512Url,
    };

    private static readonly HashSet<string> Transforms = new(StringComparer.Ordinal)
    {
        SignedXml.XmlDsigEnvelopedSignatureTransformUrl,
        SignedXml.XmlDsigExcC14NTransformUrl,
    };

    /// <summary>
    /// True when <paramref name="element"/> carries a valid signature over itself by <paramref name="idpCertificate"/>'s
    /// key; false when it carries no signature; <see cref="SamlRejectedException"/> when it carries one that is not valid
    /// (a bad signature is never treated as no signature).
    /// </summary>
    public static bool Verify(XmlElement element, X509Certificate2 idpCertificate)
    {
        var signature = SamlXml.Single(element, SamlNames.XmlDsig, "Signature");
        if (signature is null) return false;
        var name = element.LocalName;
        var id = SamlXml.Attribute(element, "ID");
        if (string.IsNullOrEmpty(id)) throw new SamlRejectedException($"The signed <{name}> has no ID for its signature to reference.");

        var signedXml = new SignedXml(element);
        try
        {
            signedXml.LoadXml(signature);
        }
        catch (CryptographicException ex)
        {
            throw new SamlRejectedException($"The signature of <{name}> is malformed: {ex.Message}");
        }

        var info = signedXml.SignedInfo ?? throw new SamlRejectedException($"The signature of <{name}> has no SignedInfo.");
        if (info.CanonicalizationMethod != SignedXml.XmlDsigExcC14NTransformUrl)
            throw new SamlRejectedException($"The signature of <{name}> uses canonicalization '{info.CanonicalizationMethod}'; only exclusive c14n without comments is accepted.");
        if (info.SignatureMethod is not { } method || !SignatureMethods.Contains(method))
            throw new SamlRejectedException($"The signature of <{name}> uses '{info.SignatureMethod}'; configure the IdP to sign with RSA-SHA256 (or SHA-384/512).");
        if (info.References.Count != 1 || info.References[0] is not Reference reference)
            throw new SamlRejectedException($"The signature of <{name}> must have exactly one reference.");
        // The reference must name the element that holds the signature: the one the caller reads next.
        if (reference.Uri != "#" + id)
            throw new SamlRejectedException($"The signature of <{name}> references '{reference.Uri}', not the element it is on (#{id}).");
        if (reference.DigestMethod is not { } digest || !DigestMethods.Contains(digest))
            throw new SamlRejectedException($"The signature of <{name}> uses digest '{reference.DigestMethod}'; SHA-256 or stronger is required.");
        foreach (Transform transform in reference.TransformChain)
        {
            if (transform.Algorithm is not { } algorithm || !Transforms.Contains(algorithm))
                throw new SamlRejectedException($"The signature of <{name}> uses transform '{transform.Algorithm}'; only enveloped-signature and exclusive c14n are accepted.");
        }

        using var key = idpCertificate.GetRSAPublicKey()
            ?? throw new SamlRejectedException("The connection's IdP certificate has no RSA key; SAML signatures are checked with RSA.");
        bool valid;
        try
        {
            valid = signedXml.CheckSignature(key);
        }
        catch (CryptographicException ex)
        {
            throw new SamlRejectedException($"The signature of <{name}> could not be checked: {ex.Message}");
        }
        return valid ? true : throw new SamlRejectedException(
            $"The signature of <{name}> does not verify with the IdP certificate configured on this connection (signed by another key, or the content was changed).");
    }
}
