using System.Xml;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// Loading a SAML message as XML with the parser locked down, and the structural checks that make signature wrapping
/// impossible to hide: no DTD (so no entity expansion or external entities), no resolver, no comments or processing
/// instructions (a comment splits a NameID's text under canonicalization: the signature covers "a@x.com.evil" while a
/// careless reader sees "a@x.com"), and no two elements sharing an ID (a signature reference must name one element).
/// </summary>
public static class SamlXml
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = 2_000_000,
        IgnoreComments = false,
        IgnoreProcessingInstructions = false,
        IgnoreWhitespace = false,
    };

    /// <summary>Parses <paramref name="xml"/>; throws <see cref="SamlRejectedException"/> for anything not plain, unique-ID XML.</summary>
    public static XmlDocument Load(byte[] xml)
    {
        // PreserveWhitespace: the signature was computed over the bytes as sent; normalising whitespace would break it.
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml, writable: false), Settings);
            document.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new SamlRejectedException($"The SAML message is not well-formed XML or carries a DTD (DTDs and entities are refused): {ex.Message}");
        }
        RefuseHiddenContent(document);
        RefuseDuplicateIds(document);
        return document;
    }

    /// <summary>The element children of <paramref name="parent"/> named {<paramref name="ns"/>}<paramref name="localName"/>.</summary>
    public static IEnumerable<XmlElement> Children(XmlElement parent, string ns, string localName) =>
        parent.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == localName && e.NamespaceURI == ns);

    /// <summary>The one child named so, or null; more than one is refused.</summary>
    public static XmlElement? Single(XmlElement parent, string ns, string localName)
    {
        XmlElement? found = null;
        foreach (var child in Children(parent, ns, localName))
        {
            if (found is not null) throw new SamlRejectedException($"<{parent.LocalName}> has more than one <{localName}>.");
            found = child;
        }
        return found;
    }

    /// <summary>Every element of the document named so, at any depth.</summary>
    public static List<XmlElement> Descendants(XmlDocument document, string ns, string localName) =>
        document.GetElementsByTagName(localName, ns).OfType<XmlElement>().ToList();

    /// <summary>The attribute's value, or null when it is absent (XmlElement.GetAttribute cannot tell absent from empty).</summary>
    public static string? Attribute(XmlElement element, string name) => element.GetAttributeNode(name)?.Value;

    private static void RefuseHiddenContent(XmlDocument document)
    {
        foreach (var node in AllNodes(document))
        {
            switch (node.NodeType)
            {
                case XmlNodeType.Comment:
                    throw new SamlRejectedException("The SAML message contains an XML comment; comments are refused (they can hide text from a signature).");
                case XmlNodeType.ProcessingInstruction:
                    throw new SamlRejectedException("The SAML message contains a processing instruction; they are refused.");
                case XmlNodeType.DocumentType or XmlNodeType.EntityReference or XmlNodeType.Entity:
                    throw new SamlRejectedException("The SAML message contains a DTD or an entity reference; they are refused.");
            }
        }
    }

    private static void RefuseDuplicateIds(XmlDocument document)
    {
        // SignedXml resolves "#x" against attributes named ID, Id and id: all three count.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in AllNodes(document).OfType<XmlElement>())
        {
            foreach (XmlAttribute attribute in element.Attributes)
            {
                if (attribute.NamespaceURI.Length == 0 && attribute.LocalName is "ID" or "Id" or "id" && !seen.Add(attribute.Value))
                    throw new SamlRejectedException($"Two elements of the SAML message share the ID '{attribute.Value}'; IDs must be unique.");
            }
        }
    }

    private static IEnumerable<XmlNode> AllNodes(XmlNode root)
    {
        var stack = new Stack<XmlNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            for (var child = node.LastChild; child is not null; child = child.PreviousSibling) stack.Push(child);
        }
    }
}
