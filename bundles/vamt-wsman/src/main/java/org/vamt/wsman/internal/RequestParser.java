package org.vamt.wsman.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.vamt.cim.CimObjectPath;
import org.vamt.security.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * Parses request envelopes with a namespace-aware DOM parser hardened against hostile XML:
 * no DTDs (so no entity expansion and no external entities), no XInclude.
 */
final class RequestParser {
    /** Headers we act on; a mustUnderstand header outside this set is a MustUnderstand fault. */
    private static final Set<String> UNDERSTOOD = Set.of(
            Ns.WSA + "|Action", Ns.WSA + "|To", Ns.WSA + "|MessageID", Ns.WSA + "|ReplyTo", Ns.WSA + "|FaultTo",
            Ns.WSA + "|From", Ns.WSMAN + "|ResourceURI", Ns.WSMAN + "|SelectorSet", Ns.WSMAN + "|OperationTimeout",
            Ns.WSMAN + "|MaxEnvelopeSize", Ns.WSMAN + "|Locale", Ns.WSMAN + "|DataLocale", Ns.WSMAN + "|OptionSet",
            Ns.WSMAN + "|RequestTotalItemsCountEstimate");

    private static final int MAX_SELECTORS = 32;

    /**
     * A factory per thread, and a few parsers reused with a budget. A reused Xerces parser holds
     * on to the largest attribute list and every distinct name it has seen (reset() keeps its
     * symbol table), so a pooled parser that once parsed a hostile envelope (thousands of
     * attributes, random names) kept megabytes for good. So a parser is reused only until it has
     * read {@link #PARSER_BUDGET_BYTES} in all, never after an envelope above
     * {@link #REUSED_ENVELOPE_BYTES}, and at most {@link #POOLED_PARSERS} wait for reuse: what they
     * keep is bounded by what they read (about 8 × 32 KiB of names), whatever the load. Building
     * a parser costs more than parsing a Get (the profile: XML11Configuration.<init>).
     */
    private final ThreadLocal<DocumentBuilderFactory> factories = ThreadLocal.withInitial(RequestParser::newFactory);
    static final int POOLED_PARSERS = 8;
    static final int PARSER_BUDGET_BYTES = 32 * 1024;
    static final int REUSED_ENVELOPE_BYTES = 8 * 1024;
    private final ArrayBlockingQueue<PooledParser> parsers = new ArrayBlockingQueue<>(POOLED_PARSERS);

    /** A builder and the bytes it has read. */
    private static final class PooledParser {
        final DocumentBuilder builder;
        long bytesRead;

        PooledParser(DocumentBuilder builder) {
            this.builder = builder;
        }
    }

    private static DocumentBuilderFactory newFactory() {
        return SafeXml.factory();
    }

    /** Parsers waiting for reuse now (for tests). */
    int pooledParsers() {
        return parsers.size();
    }

    private Document parseDocument(byte[] body) throws ParserConfigurationException, SAXException, IOException {
        PooledParser p = parsers.poll();
        if (p == null) {
            DocumentBuilder builder = factories.get().newDocumentBuilder();
            builder.setErrorHandler(null);
            p = new PooledParser(builder);
        }
        boolean reusable = false;
        try {
            Document doc = p.builder.parse(new ByteArrayInputStream(body));
            reusable = true;
            return doc;
        } finally {
            p.bytesRead += body.length;
            if (reusable && body.length <= REUSED_ENVELOPE_BYTES && p.bytesRead <= PARSER_BUDGET_BYTES) {
                p.builder.reset();
                p.builder.setErrorHandler(null);
                parsers.offer(p);   // dropped when the pool is full
            }
        }
    }

    WsmanRequest parse(byte[] body) throws WsmanFault {
        Document doc;
        try {
            doc = parseDocument(body);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened", e);
        } catch (SAXException | IOException e) {
            throw WsmanFault.malformed("The request is not well-formed XML.");
        }
        Element env = doc.getDocumentElement();
        EnvelopeLimits.check(env);
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
        return new WsmanRequest(action, to, messageId, resourceUri, selectors, maxEnvelope, timeout, payload);
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
