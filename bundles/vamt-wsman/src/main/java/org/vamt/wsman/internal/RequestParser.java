package org.vamt.wsman.internal;

import com.ctc.wstx.api.WstxInputProperties;
import com.ctc.wstx.stax.WstxInputFactory;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.vamt.cim.CimObjectPath;
import org.vamt.security.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Parses request envelopes with a streaming parser (Woodstox) hardened against hostile XML by
 * {@link SafeXml#harden}: no DTDs (so no entity expansion and no external entities), no XInclude.
 * The operations read the envelope as DOM elements, so the events are built into a DOM as they come.
 */
final class RequestParser {
    /** Headers we act on; a mustUnderstand header outside this set is a MustUnderstand fault. */
    private static final Set<String> UNDERSTOOD = Set.of(
            Ns.WSA + "|Action", Ns.WSA + "|To", Ns.WSA + "|MessageID", Ns.WSA + "|ReplyTo", Ns.WSA + "|FaultTo",
            Ns.WSA + "|From", Ns.WSMAN + "|ResourceURI", Ns.WSMAN + "|SelectorSet", Ns.WSMAN + "|OperationTimeout",
            Ns.WSMAN + "|MaxEnvelopeSize", Ns.WSMAN + "|Locale", Ns.WSMAN + "|DataLocale", Ns.WSMAN + "|OptionSet",
            Ns.WSMAN + "|RequestTotalItemsCountEstimate", Ns.WSE + "|Identifier", Ns.WST + "|IssuedTokens");

    private static final int MAX_SELECTORS = 32;

    /**
     * A factory per thread. The JDK's DOM parser cost a Get ~14 % of its CPU and an inventory sweep
     * ~40 % (the profile: Xerces' scanner, part of it too large to be compiled); Woodstox reads an
     * envelope several times faster. A factory keeps every name its readers have seen (Woodstox
     * starts afresh only beyond 12,000 names, however long), and Identify is parsed before any
     * credentials: so a thread's factory is replaced once it has read {@link #FACTORY_BUDGET_BYTES},
     * and what it keeps is bounded by that plus one envelope, whatever the load.
     */
    private static final ThreadLocal<BudgetedFactory> FACTORIES = new ThreadLocal<>();
    static final int FACTORY_BUDGET_BYTES = 64 * 1024;
    /** The documents the envelopes are built into; creating one is cheap, parsing was not. */
    private static final ThreadLocal<DocumentBuilder> BUILDERS = ThreadLocal.withInitial(RequestParser::newBuilder);

    /** A hardened factory and the bytes its readers have read. */
    private static final class BudgetedFactory {
        final XMLInputFactory factory = newFactory();
        long bytesRead;
    }

    /** This thread's factory, charged with {@code bytes}; a new one when the last has read its budget. */
    static XMLInputFactory factory(int bytes) {
        BudgetedFactory f = FACTORIES.get();
        if (f == null || f.bytesRead > FACTORY_BUDGET_BYTES) {
            f = new BudgetedFactory();
            FACTORIES.set(f);
        }
        f.bytesRead += bytes;
        return f.factory;
    }

    private static XMLInputFactory newFactory() {
        XMLInputFactory f = SafeXml.harden(new WstxInputFactory());
        // One text event per text node (CDATA sections included), as the DOM parser made one node.
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        // Depth is our own limit (EnvelopeLimits, a fault of its own); the request size bounds it.
        f.setProperty(WstxInputProperties.P_MAX_ELEMENT_DEPTH, Integer.MAX_VALUE);
        return f;
    }

    private static DocumentBuilder newBuilder() {
        try {
            return SafeXml.factory().newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened", e);
        }
    }

    /**
     * The envelope as a DOM. Elements nested deeper than {@link EnvelopeLimits#MAX_DEPTH} are not
     * built (the rest of the document is still read, so that XML that is not well-formed is a
     * malformed fault whatever its depth, as before); {@code tooDeep} says whether some were left out.
     */
    private static Document parseDocument(byte[] body, boolean[] tooDeep) throws XMLStreamException, WsmanFault {
        Document doc = BUILDERS.get().newDocument();
        doc.setStrictErrorChecking(false);   // the names come from a namespace-aware parser
        XMLStreamReader r = factory(body.length).createXMLStreamReader(new ByteArrayInputStream(body));
        try {
            Node parent = doc;
            int depth = 0;
            int skipped = 0;   // open elements below the depth limit, not built
            while (r.hasNext()) {
                switch (r.next()) {
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (skipped > 0 || depth >= EnvelopeLimits.MAX_DEPTH + 1) {
                            skipped++;
                            tooDeep[0] = true;
                            continue;
                        }
                        Element e = element(doc, r);
                        parent.appendChild(e);
                        parent = e;
                        depth++;
                    }
                    case XMLStreamConstants.END_ELEMENT -> {
                        if (skipped > 0) {
                            skipped--;
                        } else {
                            parent = parent.getParentNode();
                            depth--;
                        }
                    }
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (skipped == 0 && parent != doc) {
                            parent.appendChild(doc.createTextNode(r.getText()));
                        }
                    }
                    // a DOCTYPE: refused as the DOM parser refused it (nothing in it was processed)
                    case XMLStreamConstants.DTD, XMLStreamConstants.ENTITY_REFERENCE ->
                            throw WsmanFault.malformed("The request is not well-formed XML.");
                    default -> { }   // comments and processing instructions: never read
                }
            }
            return doc;
        } finally {
            r.close();
        }
    }

    /** An element with its attributes and namespace declarations (kept: QName values may name a prefix). */
    private static Element element(Document doc, XMLStreamReader r) {
        Element e = doc.createElementNS(nonEmpty(r.getNamespaceURI()), qualified(r.getPrefix(), r.getLocalName()));
        for (int i = 0; i < r.getNamespaceCount(); i++) {
            String prefix = r.getNamespacePrefix(i);
            String uri = r.getNamespaceURI(i);
            e.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI,
                    prefix == null || prefix.isEmpty() ? "xmlns" : "xmlns:" + prefix, uri == null ? "" : uri);
        }
        for (int i = 0; i < r.getAttributeCount(); i++) {
            e.setAttributeNS(nonEmpty(r.getAttributeNamespace(i)),
                    qualified(r.getAttributePrefix(i), r.getAttributeLocalName(i)), r.getAttributeValue(i));
        }
        return e;
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String qualified(String prefix, String localName) {
        return prefix == null || prefix.isEmpty() ? localName : prefix + ":" + localName;
    }

    WsmanRequest parse(byte[] body) throws WsmanFault {
        Document doc;
        boolean[] tooDeep = {false};
        try {
            doc = parseDocument(body, tooDeep);
        } catch (XMLStreamException | RuntimeException e) {
            // Woodstox reports some malformations (bad encodings) as unchecked exceptions
            throw WsmanFault.malformed("The request is not well-formed XML.");
        }
        Element env = doc.getDocumentElement();
        if (env == null) {
            throw WsmanFault.malformed("The request is not well-formed XML.");
        }
        EnvelopeLimits.check(env);
        if (tooDeep[0]) {
            throw EnvelopeLimits.tooDeep();
        }
        if (!"Envelope".equals(env.getLocalName())) {
            throw WsmanFault.malformed("The request is not a SOAP envelope.");
        }
        if (!Ns.SOAP.equals(env.getNamespaceURI())) {
            throw WsmanFault.versionMismatch();
        }
        Element header = child(env, Ns.SOAP, "Header");
        Element soapBody = child(env, Ns.SOAP, "Body");
        if (soapBody == null) {
            throw WsmanFault.malformed("The SOAP envelope has no Body.");
        }
        String action = null;
        String to = null;
        String messageId = null;
        String resourceUri = null;
        Map<String, Object> selectors = new LinkedHashMap<>();
        Long maxEnvelope = null;
        String timeout = null;
        if (header != null) {
            for (Element h : children(header)) {
                String key = h.getNamespaceURI() + "|" + h.getLocalName();
                if (isMustUnderstand(h) && !UNDERSTOOD.contains(key)) {
                    throw WsmanFault.mustUnderstand(h.getNodeName());
                }
                switch (key) {
                    case Ns.WSA + "|Action" -> action = unique(action, text(h), "Action");
                    case Ns.WSA + "|To" -> to = unique(to, text(h), "To");
                    case Ns.WSA + "|MessageID" -> messageId = unique(messageId, text(h), "MessageID");
                    case Ns.WSMAN + "|ResourceURI" -> resourceUri = unique(resourceUri, text(h), "ResourceURI");
                    case Ns.WSMAN + "|SelectorSet" -> selectors = selectorSet(h);
                    case Ns.WSMAN + "|OperationTimeout" -> timeout = text(h);
                    case Ns.WSMAN + "|MaxEnvelopeSize" -> maxEnvelope = positiveLong(text(h), "MaxEnvelopeSize");
                    default -> { }
                }
            }
        }
        List<Element> bodyChildren = children(soapBody);
        Element payload = bodyChildren.isEmpty() ? null : bodyChildren.get(0);
        return new WsmanRequest(action, to, messageId, resourceUri, selectors, maxEnvelope, timeout, payload, header);
    }

    /** A SelectorSet; values are text or, for EPR-valued selectors, object paths. */
    static Map<String, Object> selectorSet(Element set) throws WsmanFault {
        Map<String, Object> selectors = new LinkedHashMap<>();
        for (Element s : children(set)) {
            if (!"Selector".equals(s.getLocalName())) {
                continue;
            }
            String name = s.getAttribute("Name");
            if (name.isEmpty()) {
                name = s.getAttributeNS(Ns.WSMAN, "Name");
            }
            if (name.isEmpty()) {
                throw WsmanFault.invalidSelectors("A selector has no Name.", "InsufficientSelectors");
            }
            if (selectors.keySet().stream().anyMatch(name::equalsIgnoreCase)) {
                throw WsmanFault.invalidSelectors("Duplicate selector " + name, "DuplicateSelectors");
            }
            if (selectors.size() >= MAX_SELECTORS) {
                throw WsmanFault.encodingLimit("Too many selectors.", "SelectorLimit");
            }
            Element epr = child(s, Ns.WSA, "EndpointReference");
            selectors.put(name, epr != null ? endpointReference(epr) : text(s));
        }
        return selectors;
    }

    /** An EPR (Address + ReferenceParameters) as an object path; the Address is ignored, as clients vary it. */
    static CimObjectPath endpointReference(Element epr) throws WsmanFault {
        Element params = child(epr, Ns.WSA, "ReferenceParameters");
        Element uri = params == null ? null : child(params, Ns.WSMAN, "ResourceURI");
        if (uri == null) {
            throw WsmanFault.invalidParameter("An endpoint reference has no ResourceURI.");
        }
        String className = ResourceUris.className(text(uri))
                .orElseThrow(() -> WsmanFault.invalidParameter("Unknown class in reference: " + text(uri)));
        Element set = child(params, Ns.WSMAN, "SelectorSet");
        return new CimObjectPath(className, set == null ? Map.of() : selectorSet(set));
    }

    /** Whether an element looks like an EPR value (has Address or ReferenceParameters children). */
    static boolean isEndpointReference(Element e) {
        return child(e, Ns.WSA, "ReferenceParameters") != null || child(e, Ns.WSA, "Address") != null;
    }

    private static boolean isMustUnderstand(Element h) {
        String v = h.getAttributeNS(Ns.SOAP, "mustUnderstand").trim();
        return "true".equals(v) || "1".equals(v);
    }

    private static String unique(String previous, String value, String header) throws WsmanFault {
        if (previous != null) {
            throw WsmanFault.invalidHeader("The header " + header + " appears more than once.");
        }
        return value;
    }

    private static long positiveLong(String s, String header) throws WsmanFault {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the fault
        }
        throw WsmanFault.invalidHeader(header + " must be a positive integer.");
    }

    static List<Element> children(Element parent) {
        List<Element> list = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                list.add(e);
            }
        }
        return list;
    }

    static Element child(Element parent, String ns, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName()) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    static String text(Element e) {
        return e.getTextContent().trim();
    }
}
